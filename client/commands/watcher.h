// Watcher: follows one experiment until it is terminal, showing it as live progress bars (terminal),
// plain lines (not a terminal) or JSON lines (--json). Used by `watch`, `submit --wait` and `run`.
// Run() may be called again after it returned (e.g. after Ctrl-C and a CancelExperiment): it resumes
// after the last event seen; the last frame stays on screen and the next one is drawn below it, so
// text printed in between is not overwritten. Not thread-safe; the client and the output
// stream must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "client/commands/coordinator_client.h"
#include "client/ui/plain_view.h"
#include "client/ui/terminal.h"
#include "client/ui/watch_model.h"

namespace ecgbench::client {

struct WatchSettings {
  bool tty = false;   // progress bars redrawn in place
  bool json = false;  // one Event as JSON per line (takes precedence over tty)
  // Terminal size, asked before each redraw (so a resize is followed); fixed 80x24 when empty.
  std::function<TerminalInfo()> terminal;
  int redraw_interval_ms = 100;       // at most ~10 redraws per second
  int progress_interval_ms = 5000;    // plain mode: progress lines per task
  int reconnect_timeout_ms = 60000;   // give up after this long without the coordinator
  // Called about twice a second; an error ends the watch with it (e.g. the embedded coordinator died).
  std::function<absl::Status()> health_check;
};

struct WatchOutcome {
  v1::State state = v1::STATE_UNSPECIFIED;  // the experiment's state when Run returned
  bool interrupted = false;                 // a Ctrl-C arrived during Run
  bool timed_out = false;                   // the deadline passed first
};

class Watcher {
 public:
  Watcher(CoordinatorClient* client, std::string experiment_id, WatchSettings settings, std::ostream* out);

  // Watches until the experiment is terminal, a new interrupt (InterruptCount() grows), the
  // deadline (monotonic ms, 0: none) or an error: NOT_FOUND, UNAVAILABLE after the reconnect
  // timeout, or the health check's error.
  absl::StatusOr<WatchOutcome> Run(int64_t deadline_monotonic_ms = 0);

  const WatchModel& model() const { return model_; }

  // Shows `text` (whole lines) without breaking the display: above the progress bars on a
  // terminal, as plain lines otherwise, not at all in JSON mode (stdout stays JSON).
  void Notice(const std::string& text);

 private:
  absl::Status Refresh();
  void HandleEvent(const v1::Event& event);
  void Draw(bool force);
  void Emit(const std::string& text);

  CoordinatorClient* const client_;
  const std::string id_;
  const WatchSettings settings_;
  std::ostream* const out_;
  WatchModel model_;
  PlainPrinter plain_;
  bool have_snapshot_ = false;
  bool needs_refresh_ = false;  // an event named an entity the snapshot lacks
  bool dirty_ = false;
  std::string scrolled_;        // tty: lines to print above the frame at the next redraw
  int drawn_lines_ = 0;         // tty: lines of the frame on screen
  int64_t last_draw_ms_ = 0;
  int64_t last_refresh_ms_ = 0;
};

}  // namespace ecgbench::client
