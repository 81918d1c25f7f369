// The chat loop and the feedback records (see chat_loop.h).
#include "worker/chat/chat_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <istream>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::chat {
namespace {

constexpr char kQuestionPrompt[] = "you> ";
constexpr char kFeedbackPrompt[] = "feedback [+/-/enter to skip]: ";

// Reads one line without its '\n' (and a trailing '\r'); false at EOF with nothing read.
bool ReadLine(std::istream& in, std::string* line) {
  if (!std::getline(in, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace

std::optional<Feedback> ParseFeedback(std::string_view line) {
  const absl::string_view text(line.data(), line.size());  // Debian's absl::string_view is its own type
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (word.empty()) return Feedback::kSkip;
  if (word == "+" || word == "up" || word == "y" || word == "yes") return Feedback::kUp;
  if (word == "-" || word == "down" || word == "n" || word == "no") return Feedback::kDown;
  return std::nullopt;
}

std::string FeedbackJsonLine(int64_t unix_ms, const std::string& checkpoint, const std::string& ecg,
                             const std::vector<common::text::ChatTurn>& history, const std::string& answer,
                             Feedback feedback) {
  nlohmann::json turns = nlohmann::json::array();
  for (const common::text::ChatTurn& t : history) turns.push_back({{"role", t.role}, {"content", t.content}});
  const nlohmann::json record = {
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone())},
      {"checkpoint", checkpoint},
      {"ecg", ecg},
      {"history", std::move(turns)},
      {"answer", answer},
      {"feedback", feedback == Feedback::kUp ? "up" : "down"}};
  // A generated answer may end inside a multi-byte character: replace, never throw.
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status AppendLine(const std::string& path, const std::string& line) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  if (!parent.empty()) ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(parent));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(path, ": cannot open for appending: ", std::strerror(errno)));
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat(path, ": cannot write: ", std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return absl::UnavailableError(absl::StrCat(path, ": cannot close: ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::StatusOr<ChatLoopSummary> RunChatLoop(const ChatLoopOptions& options, const Replier& replier, std::istream& in,
                                            std::ostream& out, std::ostream& err) {
  const common::Clock* clock = options.clock != nullptr ? options.clock : common::RealClock::Get();
  ChatLoopSummary summary;
  std::vector<common::text::ChatTurn> history;
  std::string line;
  while (true) {
    if (options.interactive) out << kQuestionPrompt << std::flush;
    if (!ReadLine(in, &line)) break;
    const std::string question(absl::StripAsciiWhitespace(line));
    if (question == "/quit") break;
    if (question.empty()) continue;
    history.push_back({"user", question});
    absl::StatusOr<std::string> answer = replier(history);
    if (!answer.ok()) {
      ++summary.errors;
      err << "error: " << answer.status().message() << "\n" << std::flush;
      history.pop_back();
      continue;
    }
    ++summary.turns;
    out << "elm> " << *answer << "\n" << std::flush;

    std::optional<Feedback> feedback;
    bool eof = false;
    while (!feedback.has_value()) {
      if (options.interactive) out << kFeedbackPrompt << std::flush;
      if (!ReadLine(in, &line)) {
        eof = true;
        feedback = Feedback::kSkip;
        break;
      }
      feedback = ParseFeedback(line);
      if (!feedback.has_value()) {
        err << "feedback: '" << line << "' is not +, - or empty\n" << std::flush;
        if (!options.interactive) feedback = Feedback::kSkip;
      }
    }
    if (*feedback != Feedback::kSkip) {
      ECGBENCH_RETURN_IF_ERROR(AppendLine(options.feedback_path,
                                          FeedbackJsonLine(clock->NowUnixMs(), options.checkpoint, options.ecg,
                                                           history, *answer, *feedback)));
      ++(*feedback == Feedback::kUp ? summary.up : summary.down);
    }
    history.push_back({"assistant", *std::move(answer)});
    if (eof) break;
  }
  return summary;
}

}  // namespace ecgbench::worker::chat
