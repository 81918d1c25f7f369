// ChatSession (worker/chat/chat_session.h) on tiny exports of a random Llama model (tiny_exports.h):
// encoder-free, LLaVA-style (ST-MEM from its checkpoint), ECG-Byte and Signal2Vec ELMs, each with
// LoRA. Answers equal greedy generation done by hand on the same prompt and ECG input; the prompt
// holds the whole conversation in the llama3 layout with one ECG slot; segment length and ECG-Byte
// budget come from the export (elm_config.json, the encoder, the model card); errors name the path.
#include "worker/chat/chat_session.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/types/span.h"
#include "common/repr/batch/representation_builder.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/text/tokenizer.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "tests/unit/worker/chat/tiny_exports.h"
#include "worker/chat/chat_ecg.h"
#include "worker/chat/encoder_factory.h"
#include "worker/nn/generate.h"
#include "worker/train/export.h"

namespace ecgbench::worker::chat {
namespace {

using common::text::ChatTurn;
using test_support::TempDir;

using tiny::kEot;
using tiny::kFirstAdded;
constexpr char kUserHeader[] = "<|start_header_id|>user<|end_header_id|>\n\n";
constexpr char kAssistantHeader[] = "<|start_header_id|>assistant<|end_header_id|>\n\n";

// Built once (tiny_exports.h): the base model, the two exports and the synthetic record.
class ChatSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    base_ = *tmp_ / "base";
    tiny::WriteTinyBase(base_);
    tiny::WriteEncoderFreeExport(base_, *tmp_ / "encoder_free");
    tiny::WriteEcgByteExport(base_, *tmp_ / "ecg_byte", *tmp_ / "ecg_byte.json");
    tiny::WriteLlavaExport(base_, *tmp_ / "llava", *tmp_ / "st_mem.safetensors");
    tiny::WriteSignal2VecExport(base_, *tmp_ / "signal2vec", *tmp_ / "ecg_byte_s2v.json");
    tiny::WriteSynthRecord(tmp_->path(), "rec");
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }

  static std::unique_ptr<ChatSession> Open(const std::string& name, ChatSessionOptions options = {}) {
    options.checkpoint_dir = *tmp_ / name;
    absl::StatusOr<std::unique_ptr<ChatSession>> session = ChatSession::Load(options);
    EXPECT_TRUE(session.ok()) << session.status();
    if (!session.ok()) return nullptr;
    absl::StatusOr<ChatEcg> ecg = LoadChatEcg(*tmp_ / "rec.hea", (*session)->ecg_options());
    EXPECT_TRUE(ecg.ok()) << ecg.status();
    EXPECT_TRUE((*session)->SetEcg(*std::move(ecg)).ok());
    return *std::move(session);
  }

  static std::string Decode(const std::string& export_name, const std::vector<int32_t>& ids, bool skip_special) {
    absl::StatusOr<std::unique_ptr<common::text::Tokenizer>> tokenizer =
        common::text::LoadTokenizer(*tmp_ / export_name + "/tokenizer.json");
    EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
    absl::StatusOr<std::string> text = (*tokenizer)->Decode(ids, skip_special);
    EXPECT_TRUE(text.ok()) << text.status();
    return *text;
  }

  // Greedy generation by hand: the export reloaded, the prompt, the ECG input built here.
  static std::string GenerateByHand(const std::string& export_name, const std::vector<int32_t>& prompt,
                                    const ChatEcg& ecg, int64_t max_new_tokens) {
    train::LoadExportOptions load;
    load.encoder_factory = ChatEncoderFactory(nullptr);  // llava: the encoder from its recorded checkpoint
    absl::StatusOr<train::LoadedElm> loaded = train::LoadExportedElm(*tmp_ / export_name, load);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    torch::NoGradGuard no_grad;
    const int64_t n = static_cast<int64_t>(prompt.size());
    nn::GenerationRequest request;
    request.max_new_tokens = max_new_tokens;
    request.eos_token_ids = {kEot};
    request.pad_token_id = kEot;
    nn::ElmBatch batch;
    batch.input_ids = torch::tensor(std::vector<int64_t>(prompt.begin(), prompt.end()), torch::kInt64).view({1, n});
    if (loaded->elm->options().kind == nn::ElmKind::kEcgByte) {
      request.input_ids = batch.input_ids;
    } else {
      common::repr::RepresentationOptions options;  // signal, min-max normalisation
      absl::StatusOr<std::unique_ptr<common::repr::RepresentationBuilder>> builder =
          common::repr::RepresentationBuilder::Create(options);
      EXPECT_TRUE(builder.ok()) << builder.status();
      torch::Tensor signal = torch::empty({1, 12, ecg.length}, torch::kFloat);
      bool has_ecg = true;
      EXPECT_TRUE((*builder)
                      ->BuildDense(ecg.segment.data(), ecg.length, 0, 0,
                                   absl::MakeSpan(signal.data_ptr<float>(), static_cast<size_t>(signal.numel())),
                                   &has_ecg)
                      .ok());
      batch.encoder_input = signal;
      request.inputs_embeds = loaded->elm->InputEmbeddings(batch);
    }
    absl::StatusOr<nn::GenerationResult> result = nn::Generate(loaded->elm->llm(), request);
    EXPECT_TRUE(result.ok()) << result.status();
    const std::vector<int32_t> ids(result->rows[0].ids.begin(), result->rows[0].ids.end());
    return std::string(absl::StripAsciiWhitespace(Decode(export_name, ids, /*skip_special=*/true)));
  }

  static TempDir* tmp_;
  static std::string base_;
};

TempDir* ChatSessionTest::tmp_ = nullptr;
std::string ChatSessionTest::base_;

TEST_F(ChatSessionTest, EncoderFreeAnswerEqualsGreedyGenerationByHand) {
  ChatSessionOptions options;
  options.max_new_tokens = 12;
  std::unique_ptr<ChatSession> session = Open("encoder_free", options);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->elm_kind(), "encoder_free");
  EXPECT_EQ(session->template_name(), "llama3");
  EXPECT_EQ(session->ecg_options().segment_len, 500);  // elm_config.json's signal length
  EXPECT_EQ(session->ecg_options().target_rate_hz, 250);

  const std::vector<ChatTurn> history = {{"user", "What is the rhythm?"}};
  absl::StatusOr<std::vector<int32_t>> prompt = session->PromptIds(history);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(Decode("encoder_free", *prompt, false),
            std::string("<|begin_of_text|>") + kUserHeader + "<signal>\nWhat is the rhythm?<|eot_id|>" +
                kAssistantHeader);
  EXPECT_EQ(std::count(prompt->begin(), prompt->end(), kFirstAdded), 1);

  absl::StatusOr<std::string> answer = session->Reply(history);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, GenerateByHand("encoder_free", *prompt, session->ecg(), 12));
  EXPECT_FALSE(answer->empty());
  absl::StatusOr<std::string> again = session->Reply(history);  // greedy: the same answer
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *answer);
}

TEST_F(ChatSessionTest, MultiTurnHistoryAndSystemPromptAreInThePrompt) {
  ChatSessionOptions options;
  options.max_new_tokens = 5;
  options.system_prompt = "Be brief.";
  std::unique_ptr<ChatSession> session = Open("encoder_free", options);
  ASSERT_NE(session, nullptr);
  const std::vector<ChatTurn> history = {
      {"user", "What is the rhythm?"}, {"assistant", "Sinus rhythm."}, {"user", "Rate?"}};
  absl::StatusOr<std::vector<int32_t>> prompt = session->PromptIds(history);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(Decode("encoder_free", *prompt, false),
            std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>") +
                kUserHeader + "<signal>\nWhat is the rhythm?<|eot_id|>" + kAssistantHeader + "Sinus rhythm.<|eot_id|>" +
                kUserHeader + "Rate?<|eot_id|>" + kAssistantHeader);
  EXPECT_EQ(std::count(prompt->begin(), prompt->end(), kFirstAdded), 1);  // the ECG only in the first turn
  absl::StatusOr<std::string> answer = session->Reply(history);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, GenerateByHand("encoder_free", *prompt, session->ecg(), 5));
}

TEST_F(ChatSessionTest, EcgByteTakesTheCardsSegmentAndBudget) {
  ChatSessionOptions options;
  options.max_new_tokens = 8;
  std::unique_ptr<ChatSession> session = Open("ecg_byte", options);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->elm_kind(), "ecg_byte");
  EXPECT_EQ(session->ecg_options().segment_len, 250);  // data.segment_len of the card's spec

  // The ECG-Byte ids of the representation, built independently.
  absl::StatusOr<common::repr::TokenizerFile> file = common::repr::LoadTokenizer(*tmp_ / "ecg_byte.json");
  ASSERT_TRUE(file.ok()) << file.status();
  common::repr::RepresentationOptions repr;
  repr.kind = common::repr::RepresentationKind::kToken;
  repr.tokenizer = std::make_shared<common::repr::EcgByteTokenizer>(file->tokenizer);
  absl::StatusOr<std::unique_ptr<common::repr::RepresentationBuilder>> builder =
      common::repr::RepresentationBuilder::Create(repr);
  ASSERT_TRUE(builder.ok()) << builder.status();
  std::vector<int32_t> ecg_ids;
  bool has_ecg = true;
  ASSERT_TRUE((*builder)->BuildTokens(session->ecg().segment.data(), 250, 0, 0, &ecg_ids, &has_ecg).ok());
  EXPECT_EQ(session->ecg_byte_ids(), ecg_ids);
  ASSERT_GT(ecg_ids.size(), 400u);

  const std::vector<ChatTurn> history = {{"user", "Any ST changes?"}};
  absl::StatusOr<std::vector<int32_t>> prompt = session->PromptIds(history);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  // The budget fills train.max_tokens exactly: the first (400 - text) ECG ids, as signal_<id>.
  ASSERT_EQ(prompt->size(), 400u);
  const std::vector<int32_t> prefix = {256, 258};  // <|begin_of_text|><|start_header_id|>
  ASSERT_TRUE(std::equal(prefix.begin(), prefix.end(), prompt->begin()));
  const auto first_ecg = std::find_if(prompt->begin(), prompt->end(), [](int32_t id) { return id >= kFirstAdded; });
  const int64_t begin = first_ecg - prompt->begin();
  const int64_t ecg_count = std::count_if(prompt->begin(), prompt->end(), [](int32_t id) { return id >= kFirstAdded; });
  for (int64_t i = 0; i < ecg_count; ++i) {
    ASSERT_EQ((*prompt)[static_cast<size_t>(begin + i)], kFirstAdded + ecg_ids[static_cast<size_t>(i)]) << i;
  }
  std::vector<int32_t> text(prompt->begin(), prompt->begin() + begin);
  text.insert(text.end(), prompt->begin() + begin + ecg_count, prompt->end());
  EXPECT_EQ(Decode("ecg_byte", text, false), std::string("<|begin_of_text|>") + kUserHeader +
                                                 "\nAny ST changes?<|eot_id|>" + kAssistantHeader);

  absl::StatusOr<std::string> answer = session->Reply(history);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, GenerateByHand("ecg_byte", *prompt, session->ecg(), 8));
}

TEST_F(ChatSessionTest, LlavaEncoderRebuiltFromItsCheckpoint) {
  ChatSessionOptions options;
  options.max_new_tokens = 6;
  std::unique_ptr<ChatSession> session = Open("llava", options);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->elm_kind(), "llava");
  EXPECT_EQ(session->ecg_options().segment_len, 500);  // the ST-MEM encoder's input length
  const std::vector<ChatTurn> history = {{"user", "Is there an infarct?"}};
  absl::StatusOr<std::vector<int32_t>> prompt = session->PromptIds(history);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(Decode("llava", *prompt, false), std::string("<|begin_of_text|>") + kUserHeader +
                                                 "<signal><signal>\nIs there an infarct?<|eot_id|>" + kAssistantHeader);
  absl::StatusOr<std::string> answer = session->Reply(history);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, GenerateByHand("llava", *prompt, session->ecg(), 6));
}

TEST_F(ChatSessionTest, Signal2VecInjectsItsVectors) {
  ChatSessionOptions options;
  options.max_new_tokens = 6;
  std::unique_ptr<ChatSession> session = Open("signal2vec", options);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->elm_kind(), "signal2vec");
  const std::vector<ChatTurn> history = {{"user", "Rhythm?"}};
  absl::StatusOr<std::vector<int32_t>> prompt = session->PromptIds(history);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_EQ(prompt->size(), 400u);
  absl::StatusOr<std::string> answer = session->Reply(history);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, GenerateByHand("signal2vec", *prompt, session->ecg(), 6));
}

TEST_F(ChatSessionTest, ErrorsNameThePathAndTheReason) {
  ChatSessionOptions options;
  options.checkpoint_dir = *tmp_ / "nope";
  absl::StatusOr<std::unique_ptr<ChatSession>> session = ChatSession::Load(options);
  ASSERT_TRUE(absl::IsNotFound(session.status())) << session.status();
  EXPECT_EQ(session.status().message(), *tmp_ / "nope" +
                                            ": no such checkpoint directory (expected an export of the train stage: "
                                            "elm_config.json, elm.safetensors, tokenizer.json)");
  options.checkpoint_dir = tmp_->path();  // a directory, but no export
  session = ChatSession::Load(options);
  ASSERT_TRUE(absl::IsNotFound(session.status())) << session.status();
  EXPECT_EQ(session.status().message().rfind(*tmp_ / "elm_config.json: missing: ", 0), 0u) << session.status();

  options.checkpoint_dir = *tmp_ / "encoder_free";
  options.base_model_dir = *tmp_ / "no_base";
  session = ChatSession::Load(options);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find(*tmp_ / "no_base"), std::string::npos) << session.status();

  options.base_model_dir.clear();
  options.max_new_tokens = 2000;  // more than the model's 1024 positions
  session = ChatSession::Load(options);
  ASSERT_TRUE(session.ok()) << session.status();
  const std::vector<ChatTurn> question = {{"user", "Rhythm?"}};
  EXPECT_TRUE(absl::IsFailedPrecondition((*session)->PromptIds(question).status()));  // no ECG yet
  ChatEcg wrong;
  wrong.path = "short.npy";
  wrong.length = 250;
  wrong.segment.assign(12 * 250, 0.f);
  absl::Status set = (*session)->SetEcg(wrong);
  EXPECT_EQ(set.message(), "short.npy: the ELM takes segments of 12 x 500 samples, got 12 x 250");
  absl::StatusOr<ChatEcg> ecg = LoadChatEcg(*tmp_ / "rec.hea", (*session)->ecg_options());
  ASSERT_TRUE(ecg.ok()) << ecg.status();
  ASSERT_TRUE((*session)->SetEcg(*std::move(ecg)).ok());
  absl::StatusOr<std::string> answer = (*session)->Reply(question);
  ASSERT_TRUE(absl::IsInvalidArgument(answer.status())) << answer.status();
  EXPECT_NE(answer.status().message().find("exceeds the model's 1024 positions"), std::string::npos);
  answer = (*session)->Reply({{"user", "Rhythm?"}, {"assistant", "Sinus."}});  // nothing to answer
  EXPECT_TRUE(absl::IsInvalidArgument(answer.status())) << answer.status();
}

}  // namespace
}  // namespace ecgbench::worker::chat
