// The terminal conversation of `ecgbench chat`, independent of the model: read a question, get the
// answer from a Replier given the whole conversation so far, print it, ask for feedback, append a
// preference record. Torch-free, so it is tested with a fake Replier.
//
// The loop, per turn:
//   question  one line from `in` ("you> " prompt when interactive). EOF or "/quit" ends the chat;
//             an empty line is asked again.
//   answer    Replier(history + the question); printed as "elm> ANSWER". An error is printed on
//             `err` ("error: ...") and the question dropped from the history; the chat goes on.
//   feedback  one line ("feedback [+/-/enter to skip]: " prompt when interactive): "+" / "up" /
//             "y" -> up, "-" / "down" / "n" -> down, empty -> skip, EOF ends the chat after this
//             turn. Anything else is asked again when interactive, taken as skip (with a note on
//             `err`) otherwise. Up and down append one JSON line to the feedback file:
//             {"time": ISO-8601 UTC, "checkpoint", "ecg", "history": [{"role", "content"}...],
//              "answer", "feedback": "up"|"down"}  (history ends with the question; invalid UTF-8
//             in any text is replaced by U+FFFD).
// Non-interactive input (a pipe) runs the same loop without the two prompts.
//
// Errors: only the feedback file's (unwritable: the path and the reason) end the loop with an error.
// Thread-safety: none; `in`, `out`, `err` and the replier are used from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/text/chat/chat_render.h"
#include "common/util/clock.h"

namespace ecgbench::worker::chat {

using Replier = std::function<absl::StatusOr<std::string>(const std::vector<common::text::ChatTurn>& history)>;

struct ChatLoopOptions {
  bool interactive = false;      // print the prompts (stdin is a terminal)
  std::string checkpoint;        // recorded in each feedback line
  std::string ecg;               // recorded in each feedback line
  std::string feedback_path = "chat_feedback.jsonl";
  const common::Clock* clock = nullptr;  // nullptr: the real clock
};

struct ChatLoopSummary {
  int64_t turns = 0;    // questions answered
  int64_t up = 0;
  int64_t down = 0;
  int64_t errors = 0;   // questions the replier failed on
};

enum class Feedback { kSkip, kUp, kDown };

// "+"/"up"/"y"/"yes" -> kUp, "-"/"down"/"n"/"no" -> kDown, "" -> kSkip (surrounding whitespace and
// case ignored); nullopt for anything else.
std::optional<Feedback> ParseFeedback(std::string_view line);

// One feedback record as a JSON line (no trailing newline). REQUIRES feedback != kSkip.
std::string FeedbackJsonLine(int64_t unix_ms, const std::string& checkpoint, const std::string& ecg,
                             const std::vector<common::text::ChatTurn>& history, const std::string& answer,
                             Feedback feedback);

// Appends `line` + "\n" to `path` in one write (O_APPEND), creating the file and its directory.
absl::Status AppendLine(const std::string& path, const std::string& line);

absl::StatusOr<ChatLoopSummary> RunChatLoop(const ChatLoopOptions& options, const Replier& replier, std::istream& in,
                                            std::ostream& out, std::ostream& err);

}  // namespace ecgbench::worker::chat
