// Live progress frames for `watch` on a terminal: pure functions from a WatchModel to text, plus the
// ANSI sequence that redraws a frame in place. Nothing here touches the terminal; thread-safe.
//
// A frame is a header line then, per run, a line with a bar; a running run also shows its stages,
// and a running stage its running or failed tasks:
//   exp-1 "quickstart"  RUNNING  tasks 1/3  elapsed 1m05s
//     run 0 (fold=1)    [####......]  45%  RUNNING     stages 1/2  loss 0.4213
//       train           [###.......]  30%  RUNNING     tasks 0/1
//         task          [###.......]  30%  RUNNING     300/1000 steps  ETA 2m20s  loss 0.4213
// Details after the state (counts, ETA, loss, attempt, error) are added whole while they fit the
// width, so a narrow terminal drops the last ones instead of cutting them.
#pragma once

#include <cstdint>
#include <string>

#include "client/ui/watch_model.h"

namespace ecgbench::client {

struct FrameOptions {
  int width = 80;           // no line is longer than this (columns)
  int max_lines = 24;       // the frame has at most this many lines (>= 3)
  int64_t now_unix_ms = 0;  // for the elapsed time of a running experiment
};

// "[####......]": bar_width cells between brackets; floor(fraction * bar_width) of them filled.
// fraction is clamped to [0, 1].
std::string RenderProgressBar(double fraction, int bar_width);

// "  0%" .. "100%" (floor, 4 columns).
std::string RenderPercent(double fraction);

// Completed fraction of a task (1 when SUCCEEDED, done/total otherwise), of a stage (mean over its
// tasks) and of a run (mean over its stages).
double TaskFraction(const v1::Task& task);
double StageFraction(const v1::Stage& stage);
double RunFraction(const v1::Run& run);

// The frame; every line ends with '\n'. Lines beyond max_lines are summarised: finished and pending
// runs first collapse into one "+ N more runs" line, then the tail is cut with "  ... N more lines".
std::string RenderFrame(const WatchModel& model, const FrameOptions& options);

// Bytes that replace the `previous_lines` lines last drawn (cursor is below them) with
// `scrolled` (lines that stay above, e.g. state changes; may be empty) followed by `frame`:
// "\x1b[<n>F" moves up, each line is followed by "\x1b[K" (clear to end of line), and a final
// "\x1b[J" clears what is left of a longer previous frame.
std::string RedrawSequence(int previous_lines, const std::string& scrolled, const std::string& frame);

// Number of '\n' in text.
int CountLines(const std::string& text);

}  // namespace ecgbench::client
