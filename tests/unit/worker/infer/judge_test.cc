// The pairwise LLM judge (worker/infer/judge) on tiny random Llama folders (worker/nn's
// WriteRandomModelFolder, byte-level tokenizer, llama3 template): the margin equals the
// order-debiased log-odds computed here from LanguageModel::Forward on the two rendered prompts,
// swapping the answers flips the verdict and keeps the margin, the leading-space label variant is
// summed in when it is a single token, and the errors (model folder, labels, template, UTF-8,
// prompt length); PreferencePairJsonLine's exact output.
#include "worker/infer/judge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/text/chat/chat_render.h"
#include "common/text/chat/chat_template.h"
#include "common/text/tokenizer.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "worker/nn/language_model.h"
#include "worker/nn/random_model_folder.h"
#include "worker/nn/token_embeddings.h"

namespace ecgbench::worker::infer {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kQuestion[] = "What is the rhythm?";
constexpr char kGood[] = "Sinus rhythm at 72 bpm.";
constexpr char kBad[] = "Atrial fibrillation.";

// Weights large enough that the random model's label log-odds are far from zero.
nn::RandomModelOptions TinyModel() {
  nn::RandomModelOptions o;
  o.hidden_size = 32;
  o.intermediate_size = 64;
  o.heads = 4;
  o.kv_heads = 2;
  o.stddev = 0.5;
  o.seed = 7;
  return o;
}

// log(sum exp logp[ids]).
double LabelLogProb(const torch::Tensor& logp, const std::vector<int32_t>& ids) {
  double sum = 0;
  for (int32_t id : ids) sum += std::exp(logp[id].item<double>());
  return std::log(sum);
}

// log P(A) - log P(B) after the llama3 generation prompt of `user`, from the full Forward logits.
double HandLogOdds(const std::string& dir, const std::string& user, const std::vector<int32_t>& a,
                   const std::vector<int32_t>& b) {
  auto tokenizer = common::text::LoadTokenizer(dir + "/tokenizer.json");
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  common::text::ChatInput input;
  input.turns = {{"user", user}};
  auto prompt = common::text::RenderConversation(common::text::Llama3ChatTemplate(), input,
                                                 common::text::RenderMode::kGeneration, **tokenizer);
  EXPECT_TRUE(prompt.ok()) << prompt.status();
  auto model = nn::LoadLanguageModel(dir);
  EXPECT_TRUE(model.ok()) << model.status();
  (*model)->module().eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> ids(prompt->ids.begin(), prompt->ids.end());
  nn::DecoderInputs in;
  in.input_ids = torch::tensor(ids, torch::kLong).unsqueeze(0);
  const torch::Tensor logits = (*model)->Forward(in);  // [1, L, V]
  const torch::Tensor logp = logits[0][static_cast<int64_t>(ids.size()) - 1].to(torch::kDouble).log_softmax(-1);
  return LabelLogProb(logp, a) - LabelLogProb(logp, b);
}

std::string Prompt(const std::string& first, const std::string& second) {
  return "You compare two answers to a question about an ECG. Question: " + std::string(kQuestion) +
         "\nAnswer A: " + first + "\nAnswer B: " + second +
         "\nWhich answer is more accurate and helpful? Reply with the single letter A or B.";
}

class JudgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "llm";
    ASSERT_TRUE(nn::WriteRandomModelFolder(dir_, TinyModel()).ok());
  }
  std::unique_ptr<PairJudge> Load(const std::string& dir, const std::string& tmpl = "auto") {
    JudgeOptions options;
    options.model_dir = dir;
    options.chat_template = tmpl;
    auto judge = PairJudge::Load(options);
    EXPECT_TRUE(judge.ok()) << judge.status();
    return judge.ok() ? std::move(*judge) : nullptr;
  }

  test_support::TempDir tmp_;
  std::string dir_;
};

TEST_F(JudgeTest, UserTurnWording) {
  EXPECT_EQ(JudgeUserTurn(kQuestion, kGood, kBad), Prompt(kGood, kBad));
}

TEST_F(JudgeTest, MarginIsTheOrderDebiasedLogOddsOfForward) {
  auto judge = Load(dir_);
  ASSERT_NE(judge, nullptr);
  // Byte-level without merges: "A" is byte 65, " A" is two tokens, so no space variant.
  EXPECT_EQ(judge->label_ids(0), (std::vector<int32_t>{65}));
  EXPECT_EQ(judge->label_ids(1), (std::vector<int32_t>{66}));
  auto verdict = judge->Compare(kQuestion, kGood, kBad);
  ASSERT_TRUE(verdict.ok()) << verdict.status();

  const double forward = HandLogOdds(dir_, Prompt(kGood, kBad), {65}, {66});
  const double swapped = HandLogOdds(dir_, Prompt(kBad, kGood), {65}, {66});
  const double log_odds = 0.5 * (forward - swapped);
  ASSERT_GT(std::abs(log_odds), 1e-3) << "the random model should not be indifferent";
  EXPECT_NEAR(verdict->margin, std::abs(log_odds), 1e-5);
  EXPECT_EQ(verdict->preferred, log_odds >= 0 ? 0 : 1);

  // Deterministic.
  auto again = judge->Compare(kQuestion, kGood, kBad);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->preferred, verdict->preferred);
  EXPECT_EQ(again->margin, verdict->margin);
}

TEST_F(JudgeTest, SwappingTheAnswersFlipsTheVerdict) {
  auto judge = Load(dir_);
  ASSERT_NE(judge, nullptr);
  for (const char* question : {kQuestion, "Is there ST elevation?", ""}) {
    auto ab = judge->Compare(question, kGood, kBad);
    auto ba = judge->Compare(question, kBad, kGood);
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_GT(ab->margin, 0) << question;
    EXPECT_EQ(ba->preferred, 1 - ab->preferred) << question;
    EXPECT_DOUBLE_EQ(ba->margin, ab->margin) << question;
  }
  // Identical answers: both orders render the same prompt, log-odds 0, a tie goes to A.
  auto same = judge->Compare(kQuestion, kGood, kGood);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->preferred, 0);
  EXPECT_EQ(same->margin, 0);
}

TEST_F(JudgeTest, SingleTokenSpaceVariantIsSummedIn) {
  // Add "ĠA" (261) and "ĠB" (262) with their merges, and grow the model to 263 tokens.
  auto tok = json::parse(nn::ByteLevelLlama3TokenizerJson());
  tok["model"]["vocab"]["\u0120A"] = 261;
  tok["model"]["vocab"]["\u0120B"] = 262;
  tok["model"]["merges"] = {"\u0120 A", "\u0120 B"};
  ASSERT_TRUE(common::WriteFileAtomic(dir_ + "/tokenizer.json", tok.dump()).ok());
  {
    auto model = nn::LoadLanguageModel(dir_);
    ASSERT_TRUE(model.ok()) << model.status();
    nn::ResizeOptions resize;
    resize.init = nn::NewRowInit::kNormal;
    resize.stddev = 0.5;
    ASSERT_TRUE(nn::ResizeTokenEmbeddings(**model, 263, resize).ok());
    ASSERT_TRUE((*model)->Save(dir_).ok());
  }
  auto judge = Load(dir_);
  ASSERT_NE(judge, nullptr);
  EXPECT_EQ(judge->label_ids(0), (std::vector<int32_t>{65, 261}));
  EXPECT_EQ(judge->label_ids(1), (std::vector<int32_t>{66, 262}));
  auto verdict = judge->Compare(kQuestion, kGood, kBad);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  const double forward = HandLogOdds(dir_, Prompt(kGood, kBad), {65, 261}, {66, 262});
  const double swapped = HandLogOdds(dir_, Prompt(kBad, kGood), {65, 261}, {66, 262});
  const double log_odds = 0.5 * (forward - swapped);
  EXPECT_NEAR(verdict->margin, std::abs(log_odds), 1e-5);
  EXPECT_EQ(verdict->preferred, log_odds >= 0 ? 0 : 1);
}

TEST_F(JudgeTest, ModelFolderErrorsNameThePath) {
  JudgeOptions options;
  EXPECT_EQ(PairJudge::Load(options).status().message(), "JudgeOptions.model_dir is empty");

  options.model_dir = tmp_ / "absent";
  auto missing = PairJudge::Load(options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(tmp_ / "absent"));

  options.model_dir = tmp_.path();  // a directory without config.json
  auto no_config = PairJudge::Load(options);
  EXPECT_EQ(no_config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_config.status().message(), HasSubstr(tmp_.path() + "/config.json: missing"));

  ASSERT_TRUE(common::WriteFileAtomic(dir_ + "/config.json", "{\"model_type\": ").ok());
  options.model_dir = dir_;
  auto bad_config = PairJudge::Load(options);
  EXPECT_FALSE(bad_config.ok());
  EXPECT_THAT(bad_config.status().message(), HasSubstr("config.json"));
}

TEST_F(JudgeTest, MissingTokenizerOrWeights) {
  const std::string tokenizer = dir_ + "/tokenizer.json";
  std::filesystem::rename(tokenizer, tmp_ / "tokenizer.json");
  JudgeOptions options;
  options.model_dir = dir_;
  auto no_tokenizer = PairJudge::Load(options);
  EXPECT_EQ(no_tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_tokenizer.status().message(), HasSubstr(tokenizer + ": missing"));

  std::filesystem::rename(tmp_ / "tokenizer.json", tokenizer);
  std::filesystem::remove(dir_ + "/model.safetensors");
  auto no_weights = PairJudge::Load(options);
  EXPECT_FALSE(no_weights.ok());
  EXPECT_THAT(no_weights.status().message(), HasSubstr(dir_));
}

// SentencePiece-style BPE with Prepend("▁") and byte fallback, and no "▁A" piece: "A" encodes to
// "▁" (257) + <0x41> (1 + 0x41), so the first token would be the same for "A" and "B".
std::string PrefixedTokenizerJson() {
  json vocab = {{"<unk>", 0}};
  for (int b = 0; b < 256; ++b) vocab[absl::StrFormat("<0x%02X>", b)] = 1 + b;
  vocab["\u2581"] = 257;
  json normalizer = {{"type", "Sequence"},
                     {"normalizers",
                      {{{"type", "Prepend"}, {"prepend", "\u2581"}},
                       {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
  json added = {{{"id", 0}, {"content", "<unk>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                 {"normalized", false}, {"special", true}}};
  return json{{"version", "1.0"},
              {"added_tokens", added},
              {"normalizer", normalizer},
              {"pre_tokenizer", nullptr},
              {"decoder", {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, {{"type", "Fuse"}}}}}},
              {"model",
               {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true},
                {"vocab", vocab}, {"merges", json::array()}}}}
      .dump();
}

TEST_F(JudgeTest, LabelsMustBeSingleTokens) {
  ASSERT_TRUE(common::WriteFileAtomic(dir_ + "/tokenizer.json", PrefixedTokenizerJson()).ok());
  JudgeOptions options;
  options.model_dir = dir_;
  auto judge = PairJudge::Load(options);
  EXPECT_EQ(judge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(judge.status().message(),
            dir_ + "/tokenizer.json: the judge label \"A\" encodes to 2 tokens [257, 66]; the judge needs it to be "
                   "a single token");
}

TEST_F(JudgeTest, TemplateErrors) {
  JudgeOptions options;
  options.model_dir = dir_;
  options.chat_template = "vicuna";
  auto unknown = PairJudge::Load(options);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("JudgeOptions.chat_template: unknown chat template \"vicuna\""));

  options.chat_template = "chatml";  // <|im_start|> is not in the byte-level Llama 3 tokenizer
  auto mismatch = PairJudge::Load(options);
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("<|im_start|>"));
}

TEST_F(JudgeTest, CompareErrors) {
  auto judge = Load(dir_);
  ASSERT_NE(judge, nullptr);
  auto bad = judge->Compare(kQuestion, kGood, "caf\xC3");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("PairJudge::Compare: answer_b: invalid UTF-8 at byte 3"));

  nn::RandomModelOptions small = TinyModel();
  small.max_positions = 64;
  const std::string short_dir = tmp_ / "short";
  ASSERT_TRUE(nn::WriteRandomModelFolder(short_dir, small).ok());
  auto short_judge = Load(short_dir);
  ASSERT_NE(short_judge, nullptr);
  auto long_prompt = short_judge->Compare(kQuestion, kGood, kBad);
  EXPECT_EQ(long_prompt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_prompt.status().message(), HasSubstr("more than max_position_embeddings 64"));
}

TEST(PreferencePairJsonLineTest, EscapesAndKeyOrder) {
  EXPECT_EQ(PreferencePairJsonLine("rec-1/turn-0", "Is the rhythm \"regular\"?\n",
                                   "Yes \u2014 72 bpm, 0.1 mV ST \u2191", "back\\slash\ttab\x01", 0.25),
            "{\"id\":\"rec-1/turn-0\",\"prompt\":\"Is the rhythm \\\"regular\\\"?\\n\","
            "\"chosen\":\"Yes \u2014 72 bpm, 0.1 mV ST \u2191\",\"rejected\":\"back\\\\slash\\ttab\\u0001\","
            "\"margin\":0.25}");
  // Invalid UTF-8 becomes U+FFFD; a non-finite margin becomes null; the line parses back.
  const std::string line = PreferencePairJsonLine("x", "caf\xC3", "\xF0\x9F\x98\x80", "", std::nan(""));
  EXPECT_EQ(line,
            "{\"id\":\"x\",\"prompt\":\"caf\uFFFD\",\"chosen\":\"\U0001F600\",\"rejected\":\"\",\"margin\":null}");
  const json parsed = json::parse(PreferencePairJsonLine("a\"b", "p", "c", "r", 1.5));
  EXPECT_EQ(parsed["id"], "a\"b");
  EXPECT_EQ(parsed["margin"], 1.5);
}

}  // namespace
}  // namespace ecgbench::worker::infer
