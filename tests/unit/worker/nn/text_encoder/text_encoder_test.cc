// The BERT text encoder (worker/nn/text_encoder) on a tiny random config: parity of
// last_hidden_state and pooler_output with reference_bert.py (plain PyTorch from Hugging Face's
// modeling_bert.py, run by /usr/bin/python3 with Debian's python3-torch; max abs diff <= 1e-5 in
// fp32; the reference loads our file with strict=True, so the names are checked too), config.json
// parsing, checkpoint loading ("bert." prefix, cls.* heads, shards; missing, mis-shaped and unknown
// tensors named), tokenization with padding and truncation, padding invariance, and freezing.
#include "worker/nn/text_encoder/text_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/model_io/checkpoint.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/worker/nn/parity_util.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Checkpoint;
using common::model_io::DType;
using common::model_io::SafetensorsWriter;
using common::text::WordPieceSpec;
using common::text::WordPieceTokenizer;
using testing::FreshDir;
using ::testing::HasSubstr;
using testing::MaxDiff;
using testing::ParseDiff;

// [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then words.
std::unique_ptr<WordPieceTokenizer> TinyTokenizer() {
  const std::vector<std::string> words = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",     "[MASK]", "sinus", "rhythm", "normal",
                                          "ecg",   "left",  "axis",  "deviation", "##s",    ",",     "."};
  WordPieceSpec spec;
  spec.source = "tiny vocab";
  for (size_t i = 0; i < words.size(); ++i) spec.vocab.emplace_back(words[i], static_cast<int32_t>(i));
  spec.normalizer = common::text::BertNormalizerOptions{};
  spec.prefix_ids = {2};
  spec.suffix_ids = {3};
  for (int32_t id = 0; id < 5; ++id) spec.added_tokens.push_back({id, words[static_cast<size_t>(id)], true, false});
  auto t = WordPieceTokenizer::Create(std::move(spec));
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

// vocab 20 (larger than the tokenizer's 15, as real checkpoints may be), hidden 32, 2 layers, 4 heads,
// 64 positions (MERL's max_length).
BertConfig Tiny() {
  BertConfig c;
  c.vocab_size = 20;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.max_position_embeddings = 64;
  return c;
}

std::unique_ptr<TextEncoder> MakeRandom(uint64_t seed = 7) {
  auto e = TextEncoder::Create(Tiny(), TinyTokenizer());
  EXPECT_TRUE(e.ok()) << e.status();
  (*e)->RandomInit(seed, 0.2);
  return *std::move(e);
}

const std::vector<std::string>& Reports() {
  static const std::vector<std::string> r = {"Sinus rhythm.", "Normal ECG", "Left axis deviation, sinus rhythms.",
                                             "unknownword"};
  return r;
}

void WriteI64(SafetensorsWriter& w, const std::string& name, const torch::Tensor& t) {
  ASSERT_TRUE(w.Add(name, DType::kI64, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.numel()) * 8).ok());
}
void WriteF32(SafetensorsWriter& w, const std::string& name, const torch::Tensor& t) {
  ASSERT_TRUE(w.AddFloat32(name, t.sizes().vec(), {t.data_ptr<float>(), static_cast<size_t>(t.numel())}).ok());
}

TEST(TextEncoderTest, ParityWithReference) {
  std::unique_ptr<TextEncoder> enc = MakeRandom();
  const std::filesystem::path dir = FreshDir("ecgbench_bert_", "parity");
  ASSERT_TRUE(enc->Save(dir.string()).ok());
  absl::StatusOr<TextBatch> batch = enc->Tokenize(Reports(), TextEncoder::kMerlMaxLength);
  ASSERT_TRUE(batch.ok()) << batch.status();
  // Token types: random 0/1, to exercise token_type_embeddings.
  torch::manual_seed(5);
  const torch::Tensor types = torch::randint(0, 2, batch->input_ids.sizes(), torch::kLong);
  BertOutput out;
  {
    torch::NoGradGuard no_grad;
    out = enc->model().Forward(batch->input_ids, batch->attention_mask, types);
  }
  SafetensorsWriter w;
  WriteI64(w, "input_ids", batch->input_ids);
  WriteI64(w, "attention_mask", batch->attention_mask);
  WriteI64(w, "token_type_ids", types);
  const torch::Tensor hidden = out.last_hidden_state.contiguous(), pooled = out.pooler_output.contiguous();
  WriteF32(w, "last_hidden_state", hidden);
  WriteF32(w, "pooler_output", pooled);
  const std::string case_file = (dir / "case.safetensors").string();
  ASSERT_TRUE(w.Write(case_file).ok());
  const test_support::CommandResult r = test_support::RunCommand(
      std::string("/usr/bin/python3 ") + ECGBENCH_BERT_REFERENCE + " " + dir.string() + " " + case_file);
  ASSERT_TRUE(r.ok()) << "reference_bert.py failed (needs python3-torch: scripts/install-deps.sh):\n" << r.output;
  std::cout << "bert: " << r.output;
  EXPECT_LE(ParseDiff(r.output, "last_hidden_state_max_abs_diff"), 1e-5) << r.output;
  EXPECT_LE(ParseDiff(r.output, "pooler_output_max_abs_diff"), 1e-5) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(TextEncoderTest, TokenizePadsAndTruncates) {
  std::unique_ptr<TextEncoder> enc = MakeRandom();
  absl::StatusOr<TextBatch> b = enc->Tokenize({"Sinus rhythm.", "Normal"}, 64);
  ASSERT_TRUE(b.ok()) << b.status();
  // [CLS] sinus rhythm . [SEP] / [CLS] normal [SEP] [PAD] [PAD]
  EXPECT_TRUE(torch::equal(b->input_ids, torch::tensor({{2, 5, 6, 14, 3}, {2, 7, 3, 0, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b->attention_mask, torch::tensor({{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}}, torch::kLong)));
  // max_length 3 keeps one text token: [CLS] sinus [SEP].
  b = enc->Tokenize({"Sinus rhythm.", "Normal"}, 3);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(torch::equal(b->input_ids, torch::tensor({{2, 5, 3}, {2, 7, 3}}, torch::kLong)));
  EXPECT_EQ(enc->Tokenize({"ok", "bad \xff"}, 8).status().message(),
            "TextEncoder::Tokenize: text 1: invalid UTF-8 at byte 4");
  EXPECT_EQ(enc->Tokenize({"ok"}, 65).status().message(),
            "TextEncoder::Tokenize: max_length 65 is outside [2, 64] (max_position_embeddings)");
  EXPECT_EQ(enc->Tokenize({"ok"}, 1).status().message(),
            "TextEncoder::Tokenize: max_length 1 is outside [2, 64] (max_position_embeddings)");
  EXPECT_EQ(enc->Tokenize({}, 8).status().message(), "TextEncoder::Tokenize: empty batch");
}

TEST(TextEncoderTest, EncodeIsFrozenAndPaddingInvariant) {
  std::unique_ptr<TextEncoder> enc = MakeRandom();
  for (const auto& p : enc->model().parameters()) EXPECT_FALSE(p.requires_grad());
  EXPECT_FALSE(enc->model().is_training());
  absl::StatusOr<torch::Tensor> both = enc->Encode({"Normal ECG", "Left axis deviation, sinus rhythms."}, 64);
  absl::StatusOr<torch::Tensor> alone = enc->Encode({"Normal ECG"}, 64);
  ASSERT_TRUE(both.ok() && alone.ok());
  EXPECT_EQ(both->sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_FALSE(both->requires_grad());
  // Row 0 is padded in the pair and not alone: the attention mask makes the padding invisible.
  EXPECT_LE(MaxDiff(both->select(0, 0), alone->select(0, 0)), 1e-6);
  EXPECT_GT(MaxDiff(both->select(0, 0), both->select(0, 1)), 1e-3);
  // pooler_output = tanh(dense(h[:, 0])).
  absl::StatusOr<TextBatch> b = enc->Tokenize({"Normal ECG"}, 64);
  const BertOutput out = enc->Forward(*b);
  EXPECT_LE(MaxDiff(out.pooler_output, *alone), 0.0);
  EXPECT_EQ(out.last_hidden_state.sizes(), (std::vector<int64_t>{1, 4, 32}));
}

TEST(TextEncoderTest, ParameterNamesAreHuggingFaces) {
  BertConfig c = Tiny();
  c.num_hidden_layers = 1;
  BertModel model(c);
  std::vector<std::string> names;
  for (const auto& item : model.named_parameters()) names.push_back(item.key());
  EXPECT_EQ(names, (std::vector<std::string>{"embeddings.word_embeddings.weight",
                                             "embeddings.position_embeddings.weight",
                                             "embeddings.token_type_embeddings.weight",
                                             "embeddings.LayerNorm.weight",
                                             "embeddings.LayerNorm.bias",
                                             "encoder.layer.0.attention.self.query.weight",
                                             "encoder.layer.0.attention.self.query.bias",
                                             "encoder.layer.0.attention.self.key.weight",
                                             "encoder.layer.0.attention.self.key.bias",
                                             "encoder.layer.0.attention.self.value.weight",
                                             "encoder.layer.0.attention.self.value.bias",
                                             "encoder.layer.0.attention.output.dense.weight",
                                             "encoder.layer.0.attention.output.dense.bias",
                                             "encoder.layer.0.attention.output.LayerNorm.weight",
                                             "encoder.layer.0.attention.output.LayerNorm.bias",
                                             "encoder.layer.0.intermediate.dense.weight",
                                             "encoder.layer.0.intermediate.dense.bias",
                                             "encoder.layer.0.output.dense.weight",
                                             "encoder.layer.0.output.dense.bias",
                                             "encoder.layer.0.output.LayerNorm.weight",
                                             "encoder.layer.0.output.LayerNorm.bias",
                                             "pooler.dense.weight",
                                             "pooler.dense.bias"}));
}

TEST(TextEncoderTest, LoadRoundTripPrefixHeadsAndShards) {
  std::unique_ptr<TextEncoder> enc = MakeRandom();
  const std::filesystem::path dir = FreshDir("ecgbench_bert_", "load");
  ASSERT_TRUE(enc->Save(dir.string()).ok());
  const torch::Tensor expected = *enc->Encode(Reports(), 64);
  absl::StatusOr<std::unique_ptr<TextEncoder>> loaded = TextEncoder::Load(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(torch::equal(*(*loaded)->Encode(Reports(), 64), expected));

  // A BertForPreTraining-style checkpoint in two shards: "bert." names, MLM/NSP heads, position_ids.
  absl::StatusOr<Checkpoint> ck = Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(ck.ok());
  const std::filesystem::path sharded = FreshDir("ecgbench_bert_", "sharded");
  std::vector<torch::Tensor> keep;
  SafetensorsWriter a, b;
  nlohmann::json weight_map = nlohmann::json::object();
  const std::vector<std::string> names = ck->TensorNames();
  for (size_t i = 0; i < names.size(); ++i) {
    SafetensorsWriter& w = i % 2 == 0 ? a : b;
    absl::StatusOr<std::vector<float>> values = ck->ReadFloat32(names[i]);
    ASSERT_TRUE(values.ok());
    std::vector<int64_t> shape(ck->Tensor(names[i])->shape.begin(), ck->Tensor(names[i])->shape.end());
    ASSERT_TRUE(w.AddFloat32("bert." + names[i], shape, *values).ok());
    weight_map["bert." + names[i]] =
        i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  const std::vector<float> head(20, 0.5f);
  ASSERT_TRUE(a.AddFloat32("cls.predictions.bias", {20}, head).ok());
  weight_map["cls.predictions.bias"] = "model-00001-of-00002.safetensors";
  const torch::Tensor position_ids = torch::arange(64, torch::kLong).unsqueeze(0);
  WriteI64(b, "bert.embeddings.position_ids", position_ids);
  weight_map["bert.embeddings.position_ids"] = "model-00002-of-00002.safetensors";
  ASSERT_TRUE(a.Write((sharded / "model-00001-of-00002.safetensors").string()).ok());
  ASSERT_TRUE(b.Write((sharded / "model-00002-of-00002.safetensors").string()).ok());
  const nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", weight_map}};
  ASSERT_TRUE(common::WriteFileAtomic((sharded / "model.safetensors.index.json").string(), index.dump()).ok());
  for (const char* f : {"config.json", "vocab.txt", "tokenizer_config.json"}) {
    std::filesystem::copy_file(dir / f, sharded / f);
  }
  loaded = TextEncoder::Load(sharded.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(torch::equal(*(*loaded)->Encode(Reports(), 64), expected));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(sharded);
}

TEST(TextEncoderTest, CheckpointErrorsNameTheTensor) {
  std::unique_ptr<TextEncoder> enc = MakeRandom();
  const std::filesystem::path dir = FreshDir("ecgbench_bert_", "errors");
  ASSERT_TRUE(enc->Save(dir.string()).ok());
  absl::StatusOr<Checkpoint> ck = Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(ck.ok());
  // Rewrites model.safetensors with `drop` left out, `reshape` given the wrong shape, and `extra` added.
  const auto rewrite = [&](const std::string& drop, const std::string& reshape, const std::string& extra) {
    SafetensorsWriter w;
    for (const std::string& name : ck->TensorNames()) {
      if (name == drop) continue;
      std::vector<float> values = *ck->ReadFloat32(name);
      std::vector<int64_t> shape(ck->Tensor(name)->shape.begin(), ck->Tensor(name)->shape.end());
      if (name == reshape) shape = {static_cast<int64_t>(values.size())};
      ASSERT_TRUE(w.AddFloat32(name, shape, values).ok());
    }
    if (!extra.empty()) {
      ASSERT_TRUE(w.AddFloat32(extra, {2}, std::vector<float>{1, 2}).ok());
    }
    const std::filesystem::path out = FreshDir("ecgbench_bert_", "errors_out");
    ASSERT_TRUE(w.Write((out / "model.safetensors").string()).ok());
    std::filesystem::copy_file(dir / "config.json", out / "config.json");
  };
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("ecgbench_bert_errors_out_" + std::to_string(::getpid()));
  rewrite("pooler.dense.bias", "", "");
  EXPECT_THAT(LoadBertModel(out.string()).status().message(),
              HasSubstr("checkpoint lacks tensor 'pooler.dense.bias' (the BERT text encoder expects shape [32])"));
  rewrite("", "encoder.layer.1.intermediate.dense.weight", "");
  EXPECT_EQ(
      LoadBertModel(out.string()).status().message(),
      "checkpoint tensor 'encoder.layer.1.intermediate.dense.weight' has shape [2048], the model expects [64, 32]");
  rewrite("", "", "encoder.layer.2.output.dense.bias");
  EXPECT_EQ(
      LoadBertModel(out.string()).status().message(),
      "checkpoint has 1 tensor(s) the BERT text encoder does not have: 'encoder.layer.2.output.dense.bias' [2] in " +
          (out / "model.safetensors").string());
  std::filesystem::remove_all(out);
  std::filesystem::remove_all(dir);
}

TEST(TextEncoderTest, Config) {
  absl::StatusOr<BertConfig> c = ParseBertConfig(R"({"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4,
      "hidden_act": "gelu_new", "attention_probs_dropout_prob": 0.1, "classifier_dropout": null})",
                                                 "config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->hidden_size, 64);
  EXPECT_EQ(c->vocab_size, 30522);  // BertConfig's default
  EXPECT_EQ(c->hidden_act, BertActivation::kGeluTanh);
  absl::StatusOr<BertConfig> back = ParseBertConfig(*SerializeBertConfig(*c), "back.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->hidden_size, 64);
  EXPECT_EQ(back->hidden_act_name, "gelu_new");
  EXPECT_EQ(ParseBertConfig(R"({"model_type": "roberta"})", "c.json").status().message(),
            "c.json: field \"model_type\": \"roberta\" is not supported (the text encoder is a BERT: \"bert\")");
  EXPECT_EQ(ParseBertConfig(R"({"model_type": "bert", "num_attention_heads": 5})", "c.json").status().message(),
            "c.json: field \"num_attention_heads\": 5 does not divide hidden_size 768");
  EXPECT_EQ(ParseBertConfig(R"({"model_type": "bert", "position_embedding_type": "relative_key"})", "c.json")
                .status()
                .message(),
            "c.json: field \"position_embedding_type\": \"relative_key\" is not supported (absolute only)");
  EXPECT_EQ(ParseBertConfig(R"({"model_type": "bert", "hidden_act": "silu"})", "c.json").status().message(),
            "c.json: field \"hidden_act\": activation \"silu\" is not supported (supported: gelu, gelu_new, "
            "gelu_pytorch_tanh, gelu_fast, relu)");
  BertConfig small = Tiny();
  small.vocab_size = 10;
  EXPECT_EQ(TextEncoder::Create(small, TinyTokenizer()).status().message(),
            "the tokenizer's vocabulary (15 tokens) is larger than the model's vocab_size 10");
}

}  // namespace
}  // namespace ecgbench::worker::nn
