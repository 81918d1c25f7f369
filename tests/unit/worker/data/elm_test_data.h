// Test data for the ELM data tests: a small segment store (segment i = SyntheticSegment(L, i),
// patient "p<i / 2>", so the splits group segments in pairs), its 3-fold splits, a conversation
// JSONL with two conversations per segment, a byte-per-token fake tokenizer with Llama 3's special
// tokens, `<signal>` and the ECG-Byte `signal_<id>` tokens of the small ECG-Byte tokenizer.
// Header-only, deterministic.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/ecg/dataset/conversation.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/splits.h"
#include "common/text/chat/chat_template.h"
#include "tests/unit/repr/batch/test_segments.h"
#include "tests/unit/testing/temp_dir.h"
#include "tests/unit/text/chat/fake_tokenizer.h"

namespace ecgbench::worker::testing {

constexpr int64_t kLength = 250;
constexpr int kSegments = 12;
// FakeTokenizer ids: byte b = b, "\n\n" = 256, then the added tokens in order from 300.
constexpr int32_t kBos = 300;
constexpr int32_t kEot = 303;          // also the pad id (Llama 3.2 convention)
constexpr int32_t kPlaceholder = 304;  // <signal>
constexpr int32_t kEcgOffset = 305;    // signal_0

inline std::unique_ptr<common::text::testing::FakeTokenizer> LlamaTokenizer() {
  auto tok = std::make_unique<common::text::testing::FakeTokenizer>(std::vector<std::string>{
      "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<signal>"});
  std::vector<std::string> ecg;
  const int vocab = common::repr::testing::SmallTokenizer()->vocab_size();
  for (int i = 0; i < vocab; ++i) ecg.push_back("signal_" + std::to_string(i));
  tok->AddTokens(ecg, false);
  return tok;
}

// Writes `dir`/store; segment `nan_segment` (>= 0) gets a NaN.
inline std::unique_ptr<common::ecg::SegmentStore> WriteStore(const test_support::TempDir& dir, int nan_segment = -1) {
  common::ecg::SegmentStoreOptions options;
  options.segment_length = kLength;
  options.sampling_rate_hz = 250;
  auto writer = common::ecg::SegmentStoreWriter::Create(dir / "store", options);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < kSegments; ++i) {
    std::vector<float> x = common::repr::testing::SyntheticSegment(kLength, i);
    if (i == nan_segment) x[5] = std::numeric_limits<float>::quiet_NaN();
    common::ecg::SegmentMeta meta;
    meta.record_id = "r" + std::to_string(i);
    meta.patient_id = "p" + std::to_string(i / 2);
    meta.source = "synth";
    EXPECT_TRUE((*writer)->Append(meta, x.data()).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  auto store = common::ecg::SegmentStore::Open(dir / "store");
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

inline common::ecg::FoldAssignment Folds(const common::ecg::SegmentStore& store) {
  auto metas = store.AllMeta();
  EXPECT_TRUE(metas.ok());
  common::ecg::SplitOptions options;
  options.k = 3;
  options.seed = 42;
  auto folds = common::ecg::AssignFolds(common::ecg::SplitItemsFromMeta(*metas, ""), options);
  EXPECT_TRUE(folds.ok()) << folds.status();
  return *std::move(folds);
}

inline common::ecg::Conversation MakeConversation(const std::string& id, int64_t index,
                                                  std::vector<common::ecg::ChatMessage> messages) {
  common::ecg::Conversation c;
  c.id = id;
  c.store = "store";
  c.index = index;
  c.record_id = "r" + std::to_string(index);
  c.source = "synth";
  c.dataset = "qa";
  c.messages = std::move(messages);
  return c;
}

// Conversation 2i: "Rhythm of <i>?" / "sinus"; 2i+1: two turns ("Rate?" / "normal", "Axis?" /
// "left"), for every segment i; then `extra` as given.
inline std::string WriteConversations(const test_support::TempDir& dir,
                                      const std::vector<common::ecg::Conversation>& extra = {}) {
  const std::string path = dir / "conversations.jsonl";
  auto writer = common::ecg::ConversationWriter::Create(path);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < kSegments; ++i) {
    EXPECT_TRUE((*writer)
                    ->Write(MakeConversation("c" + std::to_string(2 * i), i,
                                             {{"user", "Rhythm of " + std::to_string(i) + "?"}, {"assistant", "sinus"}}))
                    .ok());
    EXPECT_TRUE((*writer)
                    ->Write(MakeConversation("c" + std::to_string(2 * i + 1), i,
                                             {{"user", "Rate?"}, {"assistant", "normal"}, {"user", "Axis?"},
                                              {"assistant", "left"}}))
                    .ok());
  }
  for (const auto& c : extra) EXPECT_TRUE((*writer)->Write(c).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  return path;
}

}  // namespace ecgbench::worker::testing
