// Plain watch output for a stdout that is not a terminal (logs, pipes, CI): one line per state
// change and at most one progress line per task per interval. Not thread-safe (one per watch).
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "client/ui/watch_model.h"

namespace ecgbench::client {

// "12:00:01 run 0 (fold=1) / train: RUNNING" (+ ": <message>" when the change carries one), time
// of day of the event in local time; ends with '\n'.
std::string StateChangeLine(const v1::Event& event, const WatchModel& model);

// "12:00:05 run 0 (fold=1) / train / task: 520/1000 steps (52%)  ETA 1h02m  loss 0.4213\n".
std::string ProgressLine(const v1::Event& event, const WatchModel& model);

// "experiment exp-1 \"name\" SUCCEEDED after 1m05s, tasks 3/3\n", plus "  error: ...\n" when
// the experiment failed with a message.
std::string FinalSummary(const WatchModel& model);

// One log line: "2024-05-01 12:00:00.123 INFO    run-1 train r0  message\n" (local time; run, stage
// kind and rank only when set on the line).
std::string FormatLogLine(const v1::LogLine& line);

class PlainPrinter {
 public:
  explicit PlainPrinter(int64_t progress_interval_ms = 5000) : interval_ms_(progress_interval_ms) {}

  // Text to print for `event` (already applied to `model`), received at now_ms on any monotonic
  // clock: the state-change line; a progress line unless one for the same task was printed less
  // than the interval before; nothing for metrics (the loss shows in progress lines).
  std::string OnEvent(const v1::Event& event, const WatchModel& model, int64_t now_ms);

 private:
  const int64_t interval_ms_;
  absl::flat_hash_map<std::string, int64_t> last_progress_ms_;
};

}  // namespace ecgbench::client
