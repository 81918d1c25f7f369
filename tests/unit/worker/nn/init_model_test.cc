// InitModelFolder / WriteInitializedModelFolder (worker/nn/random_model_folder.h, `ecgbench-worker
// --init-model`): the shipped configs/models/quickstart-llama.json with a tokenizer the BPE trainer
// made loads back with the tokenizer's vocabulary and special ids, runs a forward pass, is seeded
// (same seed, same bytes); a GPT-2 config with GPT-2 specials; WriteRandomModelFolder's ids; errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/model_io/model_config.h"
#include "common/text/bpe_trainer.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "torch/torch.h"
#include "worker/nn/language_model.h"
#include "worker/nn/random_model_folder.h"

namespace ecgbench::worker::nn {
namespace {

using nlohmann::json;
using test_support::TempDir;

// A tokenizer.json trained on a few lines: `vocab` tokens, the last ones `set`'s special tokens.
void WriteTrainedTokenizer(const std::string& path, int32_t vocab, common::text::SpecialTokenSet set) {
  common::text::BpeTrainerOptions o;
  o.vocab_size = vocab;
  o.min_frequency = 1;
  o.specials = set;
  auto trainer = common::text::BpeTrainer::Create(o);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(trainer->AddDocument("Does this ECG show sinus rhythm? yes. Which lead shows ST elevation? lead V" +
                                     std::to_string(i % 6 + 1))
                    .ok());
  }
  auto trained = trainer->Train();
  ASSERT_TRUE(trained.ok()) << trained.status();
  ASSERT_EQ(trained->total_size(), vocab);
  ASSERT_TRUE(common::WriteFileAtomic(path, trained->ToTokenizerJson()).ok());
}

json ReadJson(const std::string& path) { return json::parse(*common::ReadFile(path)); }

TEST(InitModelTest, QuickstartLlamaTakesTheTokenizersVocabularyAndIds) {
  TempDir dir;
  WriteTrainedTokenizer(dir / "tokenizer.json", 300, common::text::SpecialTokenSet::kLlama3);
  InitModelOptions options;
  options.seed = 7;
  auto written = InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "tokenizer.json", dir / "model", options);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->vocab_size, 300);
  EXPECT_EQ(written->specials.family, "llama3");
  EXPECT_EQ(written->specials.bos, 295);  // <|begin_of_text|>, the first id after the BPE vocabulary
  EXPECT_EQ(written->specials.eos, 299);  // <|eot_id|>
  // 300 x 64 tied embeddings + 2 layers x (q 64x64, k/v 32x64, o 64x64, 3 x 192x64 MLP, 2 norms) + final norm.
  EXPECT_EQ(written->parameters, 300 * 64 + 2 * (64 * 64 * 2 + 32 * 64 * 2 + 3 * 192 * 64 + 2 * 64) + 64);

  auto config = common::model_io::LoadModelConfig(dir / "model");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->vocab_size, 300);
  EXPECT_EQ(config->hidden_size, 64);
  EXPECT_EQ(config->num_hidden_layers, 2);
  EXPECT_EQ(config->num_key_value_heads, 2);
  EXPECT_EQ(config->rope.theta, 500000.0);
  EXPECT_TRUE(config->tie_word_embeddings);
  EXPECT_EQ(config->bos_token_id, 295);
  EXPECT_EQ(config->eos_token_ids, std::vector<int64_t>{299});
  const json generation = ReadJson(dir / "model/generation_config.json");
  EXPECT_EQ(generation["bos_token_id"], 295);
  EXPECT_EQ(generation["eos_token_id"], json::array({296, 299}));  // <|end_of_text|>, <|eot_id|>
  EXPECT_EQ(*common::ReadFile(dir / "model/tokenizer.json"), *common::ReadFile(dir / "tokenizer.json"));

  auto tokenizer = common::text::LoadTokenizer(dir / "model");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), config->vocab_size);
  auto model = LoadLanguageModel(dir / "model");
  ASSERT_TRUE(model.ok()) << model.status();
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = torch::tensor(std::vector<int64_t>{295, 5, 280, 299}).unsqueeze(0);
  DecoderInputs inputs;
  inputs.input_ids = ids;
  const torch::Tensor logits = (*model)->Forward(inputs);
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{1, 4, 300}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  const float stddev = (*model)->token_embeddings()->weight.std().item<float>();
  EXPECT_NEAR(stddev, 0.02, 0.002);

  // Seeded: the same seed writes the same weights, another seed others.
  ASSERT_TRUE(InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "tokenizer.json", dir / "again", options).ok());
  EXPECT_EQ(*common::ReadFile(dir / "again/model.safetensors"), *common::ReadFile(dir / "model/model.safetensors"));
  options.seed = 8;
  ASSERT_TRUE(InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "tokenizer.json", dir / "other", options).ok());
  EXPECT_NE(*common::ReadFile(dir / "other/model.safetensors"), *common::ReadFile(dir / "model/model.safetensors"));
}

TEST(InitModelTest, AnyArchitectureAndSpecialTokenFamily) {
  TempDir dir;
  WriteTrainedTokenizer(dir / "tokenizer.json", 270, common::text::SpecialTokenSet::kGpt2);
  const json gpt2 = {{"model_type", "gpt2"}, {"vocab_size", 50257}, {"n_embd", 32}, {"n_layer", 1},
                     {"n_head", 2},          {"n_positions", 64},    {"pad_token_id", 50256}};
  ASSERT_TRUE(common::WriteFileAtomic(dir / "config.json", gpt2.dump()).ok());
  auto written = InitModelFolder(dir.path(), dir.path(), dir / "gpt2", {});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->specials.family, "gpt2");
  auto config = common::model_io::LoadModelConfig(dir / "gpt2/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->vocab_size, 270);
  EXPECT_EQ(config->bos_token_id, 269);
  EXPECT_EQ(config->eos_token_ids, std::vector<int64_t>{269});
  EXPECT_FALSE(config->pad_token_id.has_value());  // 50256 named a token of GPT-2's own vocabulary
  EXPECT_EQ(ReadJson(dir / "gpt2/generation_config.json")["eos_token_id"], json::array({269}));
  auto model = LoadLanguageModel(dir / "gpt2");
  ASSERT_TRUE(model.ok()) << model.status();

  WriteTrainedTokenizer(dir / "chatml.json", 280, common::text::SpecialTokenSet::kChatml);
  written = InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "chatml.json", dir / "chatml", {});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->specials.family, "chatml");
  EXPECT_EQ(written->specials.bos, 277);  // <|endoftext|>
  EXPECT_EQ(written->specials.eos, 279);  // <|im_end|>
  EXPECT_EQ(written->specials.generation_eos, (std::vector<int64_t>{279, 277}));
}

TEST(InitModelTest, WriteRandomModelFolderKeepsItsIds) {
  TempDir dir;
  RandomModelOptions small;
  small.hidden_size = 16;
  small.intermediate_size = 32;
  small.layers = 1;
  ASSERT_TRUE(WriteRandomModelFolder(dir.path(), small).ok());
  auto config = common::model_io::LoadModelConfig(dir.path());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->vocab_size, 261);
  EXPECT_EQ(config->bos_token_id, 256);
  EXPECT_EQ(config->eos_token_ids, std::vector<int64_t>{260});
  EXPECT_EQ(ReadJson(dir / "generation_config.json")["eos_token_id"], json::array({257, 260}));
  EXPECT_EQ(*common::ReadFile(dir / "tokenizer.json"), ByteLevelLlama3TokenizerJson());
}

TEST(InitModelTest, BadInputsNameTheFileAndWriteNothing) {
  TempDir dir;
  auto r = InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "missing.json", dir / "out", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), dir / "missing.json" + ": no such file");

  // A byte-level tokenizer without special tokens.
  json tok = json::parse(ByteLevelLlama3TokenizerJson());
  tok["added_tokens"] = json::array();
  ASSERT_TRUE(common::WriteFileAtomic(dir / "plain.json", tok.dump()).ok());
  r = InitModelFolder(ECGBENCH_QUICKSTART_LLAMA, dir / "plain.json", dir / "out", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string prefix = dir / "plain.json" + ": none of the special-token sets is complete: llama3 (";
  EXPECT_EQ(std::string(r.status().message()).rfind(prefix, 0), 0u) << r.status();

  ASSERT_TRUE(common::WriteFileAtomic(dir / "tokenizer.json", ByteLevelLlama3TokenizerJson()).ok());
  ASSERT_TRUE(common::WriteFileAtomic(dir / "config.json", R"({"model_type": "llama", "vocab_size": 10})").ok());
  r = InitModelFolder(dir / "config.json", dir / "tokenizer.json", dir / "out", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(dir / "config.json"), std::string::npos) << r.status();
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

}  // namespace
}  // namespace ecgbench::worker::nn
