// The one conversation JSONL schema used for every mapped QA/instruction dataset (docs/data.md,
// "Conversation JSONL"), text cleaning like upstream's clean_text, and JSONL reading, writing and
// mixing. One line:
//   {"id": "ecg-qa_ptbxl-17-0",
//    "segment": {"store": "ptbxl", "index": 42, "record_id": "00001_hr", "segment_index": 0},
//    "source": "ptbxl", "dataset": "ecg-qa_ptbxl", "question_type": "single-verify",
//    "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
//    "answer": ["yes"]}
// "question_type" and "answer" are omitted when absent; "segment.store"/"segment.index" are omitted
// when the sample is keyed only by record_id + segment_index. Unknown keys are ignored on read.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
  bool operator==(const ChatMessage& o) const { return role == o.role && content == o.content; }
};

struct Conversation {
  std::string id;
  std::string store;   // segment store name; empty when keyed by record only
  int64_t index = -1;  // segment position in that store; -1 when keyed by record only
  std::string record_id;
  int64_t segment_index = 0;
  std::string source;   // base dataset of the segment ("ptbxl", "mimic", ...)
  std::string dataset;  // mapped dataset name ("ecg-qa_ptbxl", ...)
  std::string question_type;  // optional (ECG-QA)
  std::vector<ChatMessage> messages;
  std::optional<std::vector<std::string>> answer;  // optional (QA)
};

nlohmann::json ConversationToJson(const Conversation& c);
// InvalidArgument naming `where` and the field on any schema violation.
absl::StatusOr<Conversation> ConversationFromJson(const nlohmann::json& j, std::string_view where);

// Upstream-compatible text cleaning: removes "<ecg>" and "<image>" tags (with one newline right
// after a tag); replaces the whole words "image"/"images" by "signal"/"signals" keeping the case
// pattern (image -> signal, Image -> Signal, IMAGE -> SIGNAL; other mixes -> lowercase); strips one
// leading speaker prefix (user:, assistant:, human:, gpt:, model:, system:, q:, a: or a bare ':',
// case-insensitive); trims surrounding whitespace.
std::string CleanText(std::string_view text);

// "human"/"user" -> "user", "system" -> "system", everything else ("gpt", "assistant", "model",
// ...) -> "assistant" (upstream maps all non-human speakers to the assistant).
std::string NormalizeRole(std::string_view from);

// Writes conversations to `path` through `<path>.tmp-<pid>`, renamed in Finish(). Not thread-safe.
class ConversationWriter {
 public:
  static absl::StatusOr<std::unique_ptr<ConversationWriter>> Create(const std::string& path);
  ~ConversationWriter();  // removes the temp file unless finished
  absl::Status Write(const Conversation& c);
  absl::Status Finish();
  // Lines written per dataset name.
  const std::map<std::string, int64_t>& counts() const;

 private:
  struct State;
  explicit ConversationWriter(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// Calls `fn` for each line of a conversation JSONL file (blank lines skipped). Bad JSON or schema
// -> InvalidArgument naming file:line; a non-OK status from `fn` stops and is returned.
absl::Status ReadConversations(const std::string& path,
                               const std::function<absl::Status(Conversation&& c, int64_t line)>& fn);

// Mixing: concatenates conversation JSONL files into `out` (each line validated; dataset names
// kept). Returns lines per dataset, as {"<dataset>": n, ...}.
absl::StatusOr<std::map<std::string, int64_t>> MixConversationFiles(const std::vector<std::string>& inputs,
                                                                   const std::string& out);

}  // namespace ecgbench::common::ecg
