// ELM exports (worker/train/export.h): export then reload gives the same loss for the ECG-Byte
// ELM with LoRA (untied lm_head, added rows), the encoder-free ELM with full fine-tuning (merged/
// forced) and a LLaVA-style ELM with a trained encoder; the merged folder loads with
// LoadLanguageModel and gives base + adapter's logits; the export leaves the ELM's weights bitwise
// unchanged; file layout, tokenizer.json with the added tokens; elm_config.json round trip and
// errors; the errors of export and reload (unwritable directory, existing directory, wrong base,
// missing encoder factory).
#include "worker/train/export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/model_io/model_config.h"
#include "common/model_io/safetensors_file.h"
#include "common/text/tokenizer.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "worker/nn/language_model.h"
#include "worker/nn/lora.h"
#include "worker/nn/token_embeddings.h"

namespace ecgbench::worker::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::TempDir;

constexpr int64_t kBaseVocab = 260;  // 256 byte tokens + 4 specials
constexpr int64_t kVocab = 265;      // + <signal> and signal_0..signal_3
constexpr int64_t kPlaceholder = 260;

std::string LlamaConfig(bool tied, int layers) {
  return json{{"model_type", "llama"},    {"vocab_size", kBaseVocab},    {"hidden_size", 16},
              {"intermediate_size", 32},  {"num_hidden_layers", layers}, {"num_attention_heads", 2},
              {"num_key_value_heads", 1}, {"rms_norm_eps", 1e-5},        {"max_position_embeddings", 64},
              {"hidden_act", "silu"},     {"tie_word_embeddings", tied}}
      .dump();
}

// A byte-level BPE tokenizer.json: the 256 byte symbols (GPT-2's byte-to-unicode map) then 4 specials.
std::string TokenizerJson() {
  json vocab = json::object();
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    const int cp = printable ? b : 256 + n++;
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    vocab[s] = b;
  }
  json added = json::array();
  const char* specials[] = {"<|begin|>", "<|end|>", "<|pad|>", "<|eot|>"};
  for (int i = 0; i < 4; ++i) {
    added.push_back({{"id", 256 + i},
                     {"content", specials[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  return json{{"version", "1.0"},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}}}
      .dump();
}

std::vector<ExportedToken> AddedTokens() {
  std::vector<ExportedToken> tokens = {{"<signal>", kPlaceholder, true}};
  for (int i = 0; i < 4; ++i) tokens.push_back({"signal_" + std::to_string(i), kPlaceholder + 1 + i, false});
  return tokens;
}

// <dir>/base: config.json + model.safetensors (seeded random), tokenizer.json, generation_config.json.
std::string WriteBase(const TempDir& tmp, bool tied, const std::string& name = "base", int layers = 2) {
  const std::string dir = tmp / name;
  absl::StatusOr<common::model_io::ModelConfig> config =
      common::model_io::ParseModelConfig(LlamaConfig(tied, layers), "config.json");
  EXPECT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<nn::LanguageModel>> llm = nn::CreateLanguageModel(*config);
  EXPECT_TRUE(llm.ok()) << llm.status();
  (*llm)->RandomInit(3, 0.2);
  EXPECT_TRUE((*llm)->Save(dir).ok());
  EXPECT_TRUE(common::WriteFileAtomic(dir + "/tokenizer.json", TokenizerJson()).ok());
  EXPECT_TRUE(
      common::WriteFileAtomic(dir + "/generation_config.json", R"({"bos_token_id": 256, "eos_token_id": 257})").ok());
  return dir;
}

// The base LLM with the added tokens' rows (seeded, frozen as the training stage leaves them).
std::unique_ptr<nn::LanguageModel> GrownLlm(const std::string& base) {
  absl::StatusOr<std::unique_ptr<nn::LanguageModel>> llm = nn::LoadLanguageModel(base);
  EXPECT_TRUE(llm.ok()) << llm.status();
  nn::ResizeOptions resize;
  resize.seed = 9;
  EXPECT_TRUE(nn::ResizeTokenEmbeddings(**llm, kVocab, resize).ok());
  return *std::move(llm);
}

nn::LoraAdapter AttachTrainedLora(nn::LanguageModel& llm) {
  nn::LoraOptions options;
  options.rank = 4;
  options.alpha = 8;
  options.seed = 1;
  absl::StatusOr<nn::LoraAdapter> adapter = nn::AttachLora(llm, options);
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  torch::NoGradGuard no_grad;
  torch::manual_seed(4);
  for (auto& [key, p] : (*adapter)->NamedPeftTensors()) {
    if (key.find("lora_B") != std::string::npos) p.copy_(torch::randn(p.sizes()) * 0.3);
  }
  return *adapter;
}

// Two rows of 12 tokens, ids over the whole grown vocabulary; with `placeholders` one <signal> per
// row (positions 2 and 4) and no other; the last 4 tokens are the answer.
nn::ElmBatch MakeBatch(bool placeholders, int64_t leads = 12, int64_t length = 25) {
  torch::manual_seed(8);
  torch::Tensor ids = torch::randint(1, kVocab, {2, 12}, torch::kLong);
  if (placeholders) {
    ids.masked_fill_(ids.eq(kPlaceholder), 7);
    ids[0][2] = kPlaceholder;
    ids[1][4] = kPlaceholder;
  }
  ids[0][9] = kVocab - 1;  // an ECG token among the labels: its added rows matter
  torch::Tensor labels = torch::full({2, 12}, -100, torch::kLong);
  labels.narrow(1, 8, 4).copy_(ids.narrow(1, 8, 4));
  nn::ElmBatch batch{ids, torch::ones({2, 12}, torch::kLong), labels, {}};
  if (placeholders) batch.encoder_input = torch::randn({2, leads, length});
  return batch;
}

double LossOf(nn::Elm& elm, const nn::ElmBatch& batch) {
  elm.Train(false);
  torch::NoGradGuard no_grad;
  return elm.Loss(batch).sum.item<double>();
}

torch::Tensor LogitsOf(nn::LanguageModel& llm, const torch::Tensor& ids) {
  torch::NoGradGuard no_grad;
  llm.module().eval();
  nn::DecoderInputs inputs;
  inputs.input_ids = ids;
  return llm.Forward(inputs);
}

ExportRequest Request(const std::string& out, const std::string& base) {
  ExportRequest r;
  r.out_dir = out;
  r.base_model_dir = base;
  r.base_model_name = "tiny/llama-test";
  r.added_tokens = AddedTokens();
  return r;
}

std::map<std::string, torch::Tensor> Snapshot(nn::LanguageModel& llm) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : llm.module().named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

TEST(ExportElm, EcgByteWithLoraRoundTripsAndMergesToTheSameLogits) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, /*tied=*/false);
  nn::Elm elm(GrownLlm(base), nullptr, nn::ElmOptions{});
  nn::LoraAdapter adapter = AttachTrainedLora(elm.llm());
  const nn::ElmBatch batch = MakeBatch(false);
  const double loss = LossOf(elm, batch);
  const torch::Tensor logits = LogitsOf(elm.llm(), batch.input_ids);
  const std::map<std::string, torch::Tensor> before = Snapshot(elm.llm());

  ExportRequest request = Request(tmp / "out/ecg-byte", base);
  request.merged = true;
  request.extra_files = {{"ecg_byte/tokenizer.hf.json", base + "/generation_config.json"}};
  absl::StatusOr<ExportResult> result = ExportElm(elm, &adapter, request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->dir, tmp / "out/ecg-byte");
  for (const auto& [name, tensor] : Snapshot(elm.llm())) EXPECT_TRUE(torch::equal(tensor, before.at(name))) << name;
  EXPECT_EQ(LossOf(elm, batch), loss);

  const std::vector<std::string> files = {"README.md",
                                          "adapter/adapter_config.json",
                                          "adapter/adapter_model.safetensors",
                                          "ecg_byte/tokenizer.hf.json",
                                          "elm.safetensors",
                                          "elm_config.json",
                                          "merged/config.json",
                                          "merged/generation_config.json",
                                          "merged/model.safetensors",
                                          "merged/tokenizer.json",
                                          "tokenizer.json"};
  EXPECT_EQ(result->config.files, files);
  for (const std::string& f : files) EXPECT_TRUE(fs::is_regular_file(result->dir + "/" + f)) << f;
  EXPECT_EQ(result->config.llm_weights, "base");
  EXPECT_EQ(result->config.added_rows_first, kBaseVocab);
  EXPECT_EQ(result->config.added_rows_count, 5);
  EXPECT_EQ(result->config.added_row_tensors,
            (std::vector<std::string>{"llm.added_rows.model.embed_tokens.weight", "llm.added_rows.lm_head.weight"}));
  absl::StatusOr<common::model_io::LoraAdapterConfig> adapter_config =
      common::model_io::LoadLoraAdapterConfig(result->dir + "/adapter");
  ASSERT_TRUE(adapter_config.ok()) << adapter_config.status();
  EXPECT_EQ(adapter_config->base_model_name_or_path, "tiny/llama-test");
  EXPECT_FALSE(fs::exists(tmp / "out/.ecg-byte.tmp-" + std::to_string(::getpid())));

  // The grown tokenizer.
  absl::StatusOr<std::unique_ptr<common::text::Tokenizer>> tokenizer =
      common::text::LoadTokenizer(result->dir + "/tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), kVocab);
  EXPECT_EQ(*(*tokenizer)->Encode("A<signal>signal_2"), (std::vector<int32_t>{'A', 260, 263}));

  // Base + added rows + adapter.
  absl::StatusOr<LoadedElm> loaded = LoadExportedElm(result->dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_FALSE(loaded->adapter.is_empty());
  EXPECT_EQ(LossOf(*loaded->elm, batch), loss);

  // merged/: a plain HF folder with the grown vocabulary and the adapter folded in.
  absl::StatusOr<common::model_io::ModelConfig> merged_config =
      common::model_io::LoadModelConfig(result->dir + "/merged");
  ASSERT_TRUE(merged_config.ok()) << merged_config.status();
  EXPECT_EQ(merged_config->vocab_size, kVocab);
  absl::StatusOr<std::unique_ptr<nn::LanguageModel>> merged = nn::LoadLanguageModel(result->dir + "/merged");
  ASSERT_TRUE(merged.ok()) << merged.status();
  const double diff = (LogitsOf(**merged, batch.input_ids) - logits).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5);
  RecordProperty("merged_max_abs_diff", std::to_string(diff));
  // The adapter matters: the base model alone gives other logits on base-vocabulary ids.
  absl::StatusOr<std::unique_ptr<nn::LanguageModel>> plain = nn::LoadLanguageModel(base);
  ASSERT_TRUE(plain.ok());
  const torch::Tensor base_ids = batch.input_ids.remainder(kBaseVocab);
  EXPECT_GT(
      (LogitsOf(**plain, base_ids) - LogitsOf(**merged, base_ids).narrow(2, 0, kBaseVocab)).abs().max().item<double>(),
      1e-2);
  LoadExportOptions use_merged;
  use_merged.use_merged = true;
  absl::StatusOr<LoadedElm> from_merged = LoadExportedElm(result->dir, use_merged);
  ASSERT_TRUE(from_merged.ok()) << from_merged.status();
  EXPECT_TRUE(from_merged->adapter.is_empty());
  EXPECT_NEAR(LossOf(*from_merged->elm, batch), loss, 1e-4);
}

TEST(ExportElm, EncoderFreeFullFineTuningWritesMergedAndRoundTrips) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, /*tied=*/true);
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kEncoderFree;
  options.placeholder_id = kPlaceholder;
  options.signal_length = 25;
  options.seed = 2;
  nn::Elm elm(GrownLlm(base), nullptr, options);
  {  // "training" moved the LLM's own weights: only merged/ can carry them
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : elm.llm().module().parameters()) p.add_(0.01);
  }
  const nn::ElmBatch batch = MakeBatch(true);
  const double loss = LossOf(elm, batch);

  ExportRequest request = Request(tmp / "free", base);
  request.representation = json{{"kind", "signal"}, {"normalization", "minmax"}};
  absl::StatusOr<ExportResult> result = ExportElm(elm, nullptr, request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->config.llm_weights, "merged");
  EXPECT_EQ(result->config.merged_dir, "merged");
  EXPECT_TRUE(result->config.adapter_dir.empty());
  EXPECT_TRUE(result->config.added_row_tensors.empty());
  EXPECT_FALSE(fs::exists(result->dir + "/adapter"));
  absl::StatusOr<common::model_io::SafetensorsFile> weights =
      common::model_io::SafetensorsFile::Open(result->dir + "/elm.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.status();
  ASSERT_EQ(weights->tensors().size(), 2u);
  EXPECT_EQ(weights->metadata().at("elm.kind"), "encoder_free");
  EXPECT_EQ(weights->metadata().at("elm.placeholder_id"), "260");
  ASSERT_TRUE(weights->Contains("projection.weight"));
  EXPECT_EQ(std::vector<int64_t>(weights->Tensor("projection.weight")->shape.begin(),
                                 weights->Tensor("projection.weight")->shape.end()),
            (std::vector<int64_t>{16, 300}));

  absl::StatusOr<std::string> readme = common::ReadFile(result->dir + "/README.md");
  ASSERT_TRUE(readme.ok());
  EXPECT_NE(readme->find("library_name: transformers"), std::string::npos);
  EXPECT_NE(readme->find("full fine-tuning of the language model"), std::string::npos);
  EXPECT_NE(readme->find("base_model: tiny/llama-test"), std::string::npos);
  EXPECT_NE(readme->find("| Representation | signal |"), std::string::npos);
  EXPECT_NE(readme->find("| Added vocabulary | 5 tokens |"), std::string::npos);

  // Without the base model at all: merged/ is the LLM.
  LoadExportOptions elsewhere;
  elsewhere.base_model_dir = tmp / "nowhere";
  absl::StatusOr<LoadedElm> loaded = LoadExportedElm(result->dir, elsewhere);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.signal_length, 25);
  EXPECT_EQ(loaded->config.representation, request.representation);
  EXPECT_EQ(LossOf(*loaded->elm, batch), loss);
}

// An encoder with a parameter and a floating buffer (like BatchNorm's running statistics).
class TinyEncoder final : public nn::ElmEncoder {
 public:
  explicit TinyEncoder(uint64_t seed) {
    torch::manual_seed(seed);
    module_ = std::make_shared<torch::nn::Module>();
    linear_ = module_->register_module("linear", torch::nn::Linear(12, 8));
    shift_ = module_->register_buffer("shift", torch::randn({8}));
  }
  torch::nn::Module& module() override { return *module_; }
  torch::Tensor Encode(const torch::Tensor& input) override {
    const torch::Tensor pooled = linear_(input.mean(2)) + shift_;
    return torch::stack({pooled, pooled * 2}, 1);
  }
  int64_t output_dim() const override { return 8; }
  int64_t num_tokens() const override { return 2; }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  torch::nn::Linear linear_{nullptr};
  torch::Tensor shift_;
};

TEST(ExportElm, LlavaWithTrainedEncoderRoundTripsThroughTheFactory) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, /*tied=*/true);
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kLlava;
  options.placeholder_id = kPlaceholder;
  options.update_encoder = true;
  nn::Elm elm(GrownLlm(base), std::make_unique<TinyEncoder>(1), options);
  nn::LoraAdapter adapter = AttachTrainedLora(elm.llm());
  nn::ElmBatch batch = MakeBatch(true);
  batch.input_ids[0][3] = kPlaceholder;  // two placeholders per row: the encoder gives 2 embeddings
  batch.input_ids[1][5] = kPlaceholder;
  const double loss = LossOf(elm, batch);

  ExportRequest request = Request(tmp / "llava", base);
  request.encoder.kind = "tiny";
  request.encoder.path = "/models/tiny-encoder";
  request.encoder.config = {{"width", "8"}};
  absl::StatusOr<ExportResult> result = ExportElm(elm, &adapter, request);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->config.encoder.has_value());
  EXPECT_TRUE(result->config.encoder->save_weights);  // it trained
  EXPECT_EQ(result->config.encoder->num_tokens, 2);
  absl::StatusOr<common::model_io::SafetensorsFile> weights =
      common::model_io::SafetensorsFile::Open(result->dir + "/elm.safetensors");
  ASSERT_TRUE(weights.ok());
  for (const char* name : {"encoder.linear.weight", "encoder.linear.bias", "encoder.shift", "projection.bias"}) {
    EXPECT_TRUE(weights->Contains(name)) << name;
  }
  EXPECT_EQ(weights->metadata().at("encoder.config.width"), "8");

  absl::StatusOr<LoadedElm> no_factory = LoadExportedElm(result->dir);
  ASSERT_FALSE(no_factory.ok());
  EXPECT_EQ(no_factory.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(no_factory.status().message().find("the ELM has a 'tiny' encoder; loading it needs an encoder_factory"),
            std::string::npos)
      << no_factory.status();

  LoadExportOptions load;
  std::string seen_kind, seen_path;
  load.encoder_factory = [&](const ExportedEncoder& e,
                             const std::string&) -> absl::StatusOr<std::unique_ptr<nn::ElmEncoder>> {
    seen_kind = e.kind;
    seen_path = e.path;
    return std::make_unique<TinyEncoder>(99);  // other weights: the export's must replace them
  };
  absl::StatusOr<LoadedElm> loaded = LoadExportedElm(result->dir, load);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(seen_kind, "tiny");
  EXPECT_EQ(seen_path, "/models/tiny-encoder");
  EXPECT_EQ(LossOf(*loaded->elm, batch), loss);
}

TEST(ExportElm, Signal2VecTableAndOffsetRoundTrip) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, /*tied=*/true);
  torch::manual_seed(6);
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kSignal2Vec;
  options.ecg_token_offset = kPlaceholder + 1;  // signal_0
  options.signal2vec_table = torch::randn({4, 3});
  options.seed = 2;
  nn::Elm elm(GrownLlm(base), nullptr, options);
  {
    torch::NoGradGuard no_grad;
    elm.projection()->weight.add_(0.5);  // "trained"
  }
  const nn::ElmBatch batch = MakeBatch(false);  // holds signal_3 (kVocab - 1) among the labels
  const double before = LossOf(elm, batch);
  absl::StatusOr<ExportResult> result = ExportElm(elm, nullptr, Request(tmp / "s2v", base));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->config.elm_kind, "signal2vec");
  EXPECT_EQ(result->config.ecg_token_offset, kPlaceholder + 1);
  EXPECT_EQ(result->config.placeholder_id, -1);
  absl::StatusOr<LoadedElm> loaded = LoadExportedElm(result->dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->elm->options().kind, nn::ElmKind::kSignal2Vec);
  EXPECT_EQ(loaded->elm->options().ecg_token_offset, kPlaceholder + 1);
  EXPECT_TRUE(torch::equal(loaded->elm->signal2vec_table(), elm.signal2vec_table()));
  EXPECT_TRUE(torch::equal(loaded->elm->projection()->weight, elm.projection()->weight));
  EXPECT_EQ(LossOf(*loaded->elm, batch), before);
  // A config without the offset is refused, naming the field.
  absl::StatusOr<std::string> text = common::ReadFile(result->dir + "/elm_config.json");
  ASSERT_TRUE(text.ok());
  nlohmann::json broken = nlohmann::json::parse(*text);
  broken["elm"].erase("ecg_token_offset");
  absl::StatusOr<ElmExportConfig> parsed = ParseElmExportConfig(broken.dump(), "elm_config.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("elm.ecg_token_offset"), std::string::npos) << parsed.status();
}

TEST(ExportElm, RefusesAnExistingDirectoryUnlessOverwriting) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, true);
  nn::Elm elm(GrownLlm(base), nullptr, nn::ElmOptions{});
  ASSERT_TRUE(common::MakeDirs(tmp / "out").ok());
  ASSERT_TRUE(common::WriteFileAtomic(tmp / "out/stale.txt", "x").ok());
  absl::StatusOr<ExportResult> refused = ExportElm(elm, nullptr, Request(tmp / "out", base));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.status().message(), tmp / "out" + ": the export directory exists (overwrite is off)");
  ExportRequest request = Request(tmp / "out/", base);
  request.overwrite = true;
  absl::StatusOr<ExportResult> replaced = ExportElm(elm, nullptr, request);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_FALSE(fs::exists(tmp / "out/stale.txt"));
  EXPECT_TRUE(fs::exists(tmp / "out/elm_config.json"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 2);  // base, out
}

TEST(ExportElm, ErrorsNameThePath) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, true);
  nn::Elm elm(GrownLlm(base), nullptr, nn::ElmOptions{});
  ASSERT_TRUE(common::WriteFileAtomic(tmp / "file", "x").ok());
  absl::StatusOr<ExportResult> unwritable = ExportElm(elm, nullptr, Request(tmp / "file/sub/out", base));
  ASSERT_FALSE(unwritable.ok());
  EXPECT_NE(unwritable.status().message().find(tmp / "file/sub"), std::string::npos) << unwritable.status();

  ExportRequest no_tokenizer = Request(tmp / "out", base);
  no_tokenizer.tokenizer_path = tmp / "missing.json";
  absl::StatusOr<ExportResult> missing = ExportElm(elm, nullptr, no_tokenizer);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(tmp / "missing.json"), std::string::npos) << missing.status();
  EXPECT_FALSE(fs::exists(tmp / "out"));
  EXPECT_FALSE(fs::exists(tmp / (".out.tmp-" + std::to_string(::getpid()))));

  ExportRequest bad_id = Request(tmp / "out", base);
  bad_id.added_tokens.push_back({"signal_9", 400, false});
  EXPECT_EQ(ExportElm(elm, nullptr, bad_id).status().message(),
            "export: added token \"signal_9\" has id 400, outside the language model's vocabulary of 265");

  ExportRequest escape = Request(tmp / "out", base);
  escape.extra_files = {{"../x", base + "/config.json"}};
  EXPECT_EQ(ExportElm(elm, nullptr, escape).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadExportedElm, RejectsAnotherBaseModel) {
  TempDir tmp;
  const std::string base = WriteBase(tmp, false);
  nn::Elm elm(GrownLlm(base), nullptr, nn::ElmOptions{});
  nn::LoraAdapter adapter = AttachTrainedLora(elm.llm());
  absl::StatusOr<ExportResult> result = ExportElm(elm, &adapter, Request(tmp / "out", base));
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string other = WriteBase(tmp, /*tied=*/false, "other", /*layers=*/1);
  LoadExportOptions options;
  options.base_model_dir = other;
  absl::StatusOr<LoadedElm> loaded = LoadExportedElm(result->dir, options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(loaded.status().message(), other + ": base model num_hidden_layers is 1, the export was made on 2 (" +
                                           result->dir + "/elm_config.json field \"base_model.num_hidden_layers\")");
  LoadExportOptions merged;
  merged.use_merged = true;
  EXPECT_NE(LoadExportedElm(result->dir, merged).status().message().find("the export has no merged folder"),
            std::string::npos);
}

TEST(ElmExportConfig, RoundTripsAndNamesBadFields) {
  ElmExportConfig c;
  c.elm_kind = "llava";
  c.placeholder_id = 7;
  c.base = {"/m", "org/m", "qwen2", 100, 32, 2};
  c.vocab_size = 102;
  c.adapter_dir = "adapter";
  c.added_rows_first = 100;
  c.added_rows_count = 2;
  c.added_row_tensors = {"llm.added_rows.model.embed_tokens.weight"};
  c.added_tokens = {{"<signal>", 100, true}, {"x", 101, false}};
  c.tokenizer_file = "tokenizer.json";
  c.encoder = ExportedEncoder{"st_mem", "/e", {{"ecg_encoder.kind", "st_mem"}}, true, 4, 768};
  c.representation = json{{"kind", "signal"}};
  c.files = {"a", "b"};
  const std::string text = SerializeElmExportConfig(c);
  absl::StatusOr<ElmExportConfig> back = ParseElmExportConfig(text, "elm_config.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(SerializeElmExportConfig(*back), text);
  EXPECT_EQ(back->encoder->config.at("ecg_encoder.kind"), "st_mem");
  EXPECT_EQ(back->added_tokens[0].special, true);

  json bad = json::parse(text);
  bad["elm"]["kind"] = "fuyu";
  EXPECT_EQ(ParseElmExportConfig(bad.dump(), "e.json").status().message(),
            "e.json: field \"elm.kind\": \"fuyu\" is not llava, encoder_free, ecg_byte or signal2vec");
  bad = json::parse(text);
  bad["format_version"] = 2;
  EXPECT_EQ(ParseElmExportConfig(bad.dump(), "e.json").status().message(),
            "e.json: field \"format_version\": 2 is not supported (this build reads 1..1)");
  bad = json::parse(text);
  bad["encoder"] = nullptr;
  EXPECT_EQ(ParseElmExportConfig(bad.dump(), "e.json").status().message(),
            "e.json: field \"encoder\": missing for a llava ELM");
  bad = json::parse(text);
  bad["tokens"]["added"][1]["id"] = "x";
  EXPECT_NE(ParseElmExportConfig(bad.dump(), "e.json").status().message().find("tokens.added[1].id"),
            std::string::npos);
}

TEST(TokenizerJsonWithAddedTokens, AppendsOnceAndRejectsConflicts) {
  const std::string base = TokenizerJson();
  absl::StatusOr<std::string> grown = TokenizerJsonWithAddedTokens(base, "tokenizer.json", AddedTokens());
  ASSERT_TRUE(grown.ok()) << grown.status();
  const json j = json::parse(*grown);
  ASSERT_EQ(j["added_tokens"].size(), 9u);
  EXPECT_EQ(j["added_tokens"][4], (json{{"id", 260},
                                        {"content", "<signal>"},
                                        {"single_word", false},
                                        {"lstrip", false},
                                        {"rstrip", false},
                                        {"normalized", false},
                                        {"special", true}}));
  EXPECT_EQ(j["added_tokens"][5]["normalized"], true);
  absl::StatusOr<std::string> again = TokenizerJsonWithAddedTokens(*grown, "t.json", AddedTokens());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *grown);
  EXPECT_EQ(TokenizerJsonWithAddedTokens(*grown, "t.json", {{"<signal>", 261, true}}).status().message(),
            "t.json: added token \"<signal>\" has id 260 there, the export gives it 261");
  EXPECT_EQ(TokenizerJsonWithAddedTokens(base, "t.json", {{"<x>", 257, true}}).status().message(),
            "t.json: id 257 of added token \"<x>\" already belongs to \"<|end|>\"");
}

}  // namespace
}  // namespace ecgbench::worker::train
