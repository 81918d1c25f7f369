// generation_config.json: published files (Llama-3.2-1B-Instruct, Qwen2.5-1.5B-Instruct, gpt2),
// transformers defaults, range errors, and a directory without the file.
#include "common/model_io/generation_config.h"

#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

GenerationConfig Parse(const std::string& text) {
  absl::StatusOr<GenerationConfig> g = ParseGenerationConfig(text, "generation_config.json");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *g : GenerationConfig{};
}

TEST(GenerationConfigTest, Llama32Instruct) {
  const GenerationConfig g = Parse(R"({"bos_token_id": 128000, "do_sample": true,
      "eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9,
      "transformers_version": "4.45.0.dev0"})");
  EXPECT_EQ(g.bos_token_id, 128000);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_FALSE(g.pad_token_id.has_value());
  EXPECT_TRUE(g.do_sample);
  EXPECT_EQ(g.temperature, 0.6);
  EXPECT_EQ(g.top_p, 0.9);
  EXPECT_EQ(g.top_k, 50);
  EXPECT_FALSE(g.max_new_tokens.has_value());
  EXPECT_EQ(g.max_length, 20);
}

TEST(GenerationConfigTest, Qwen25Instruct) {
  const GenerationConfig g = Parse(R"({"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true,
      "eos_token_id": [151645, 151643], "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8,
      "top_k": 20, "transformers_version": "4.37.0"})");
  EXPECT_EQ(g.pad_token_id, 151643);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(g.top_k, 20);
  EXPECT_EQ(g.repetition_penalty, 1.1);
}

TEST(GenerationConfigTest, Gpt2AndDefaults) {
  const GenerationConfig g = Parse(R"({"_from_model_config": true, "bos_token_id": 50256, "eos_token_id": 50256,
                                       "max_new_tokens": 64, "transformers_version": "4.27.0.dev0"})");
  EXPECT_EQ(g.eos_token_ids, std::vector<int64_t>{50256});
  EXPECT_FALSE(g.do_sample);
  EXPECT_EQ(g.temperature, 1.0);
  EXPECT_EQ(g.top_p, 1.0);
  EXPECT_EQ(g.max_new_tokens, 64);
}

TEST(GenerationConfigTest, Errors) {
  auto error = [](const std::string& text) {
    return std::string(ParseGenerationConfig(text, "generation_config.json").status().message());
  };
  EXPECT_EQ(error(R"({"top_p": 0})"), "generation_config.json: field \"top_p\": must be in (0, 1], got 0");
  EXPECT_EQ(error(R"({"temperature": -1})"), "generation_config.json: field \"temperature\": must be >= 0, got -1");
  EXPECT_EQ(error(R"({"top_k": -3})"), "generation_config.json: field \"top_k\": must be >= 0, got -3");
  EXPECT_EQ(error(R"({"max_new_tokens": 0})"), "generation_config.json: field \"max_new_tokens\": must be positive, got 0");
  EXPECT_EQ(error(R"({"eos_token_id": [1, "2"]})"),
            "generation_config.json: field \"eos_token_id\": list entries must be integers, got \"2\"");
  EXPECT_EQ(error(R"({"eos_token_id": "2"})"),
            "generation_config.json: field \"eos_token_id\": must be an integer or a list of integers, got \"2\"");
  EXPECT_EQ(error(R"({"do_sample": "yes"})"),
            "generation_config.json: field \"do_sample\": must be true or false, got \"yes\"");
}

TEST(GenerationConfigTest, DirectoryWithoutFileGivesDefaults) {
  testing::TempDir dir;
  absl::StatusOr<GenerationConfig> g = LoadGenerationConfig(dir.path());
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->top_k, 50);
  testing::WriteBytes(dir / "generation_config.json", R"({"top_k": 5})");
  EXPECT_EQ(LoadGenerationConfig(dir.path())->top_k, 5);
}

}  // namespace
}  // namespace ecgbench::common::model_io
