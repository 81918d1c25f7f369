// The watch loop: events from an EventStream into a WatchModel, shown as frames, lines or JSON.
#include "client/commands/watcher.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/commands/event_stream.h"
#include "client/commands/interrupt.h"
#include "client/ui/format.h"
#include "client/ui/json.h"
#include "client/ui/progress_view.h"
#include "common/util/clock.h"
#include "common/util/status_macros.h"

namespace ecgbench::client {

namespace {
int64_t MonotonicMs() { return common::RealClock::Get()->NowMonotonicMs(); }
constexpr int kPollMs = 50;
constexpr int kHealthIntervalMs = 500;
constexpr int kRefreshIntervalMs = 1000;
constexpr int kIdleRedrawMs = 1000;  // the elapsed time keeps moving without events
constexpr int kResumePauseMs = 200;
}  // namespace

Watcher::Watcher(CoordinatorClient* client, std::string experiment_id, WatchSettings settings, std::ostream* out)
    : client_(client),
      id_(std::move(experiment_id)),
      settings_(std::move(settings)),
      out_(out),
      plain_(settings_.progress_interval_ms) {}

void Watcher::Emit(const std::string& text) {
  if (text.empty()) return;
  *out_ << text << std::flush;
}

absl::Status Watcher::Refresh() {
  last_refresh_ms_ = MonotonicMs();
  ECGBENCH_ASSIGN_OR_RETURN(v1::Experiment snapshot, client_->GetExperiment(id_));
  model_.Reset(snapshot);
  needs_refresh_ = false;
  dirty_ = true;
  return absl::OkStatus();
}

void Watcher::Notice(const std::string& text) {
  if (settings_.json) return;
  if (settings_.tty) {
    scrolled_ += text;
    dirty_ = true;
  } else {
    Emit(text);
  }
}

void Watcher::HandleEvent(const v1::Event& event) {
  if (!model_.Apply(event)) needs_refresh_ = true;
  if (settings_.json) {
    Emit(ToJson(event, /*pretty=*/false));
  } else if (settings_.tty) {
    if (event.has_state_change()) scrolled_ += StateChangeLine(event, model_);
    dirty_ = true;
  } else {
    Emit(plain_.OnEvent(event, model_, MonotonicMs()));
  }
}

void Watcher::Draw(bool force) {
  if (!settings_.tty || settings_.json) return;
  const int64_t now = MonotonicMs();
  const int64_t since = now - last_draw_ms_;
  if (!force && (since < settings_.redraw_interval_ms || (!dirty_ && since < kIdleRedrawMs))) return;
  const TerminalInfo term = settings_.terminal ? settings_.terminal() : TerminalInfo{true, 80, 24};
  FrameOptions options;
  options.width = std::max(20, term.width - 1);  // never the last column: some terminals wrap there
  options.max_lines = std::max(3, term.height - 2);
  options.now_unix_ms = common::RealClock::Get()->NowUnixMs();
  const std::string frame = RenderFrame(model_, options);
  Emit(RedrawSequence(drawn_lines_, scrolled_, frame));
  drawn_lines_ = CountLines(frame);
  scrolled_.clear();
  dirty_ = false;
  last_draw_ms_ = now;
}

absl::StatusOr<WatchOutcome> Watcher::Run(int64_t deadline_monotonic_ms) {
  const int start_interrupts = InterruptCount();
  if (!have_snapshot_) {
    ECGBENCH_RETURN_IF_ERROR(Refresh());
    have_snapshot_ = true;
  }
  Draw(/*force=*/true);
  // Whatever ends this call, its last frame stays where it is: output that follows (and the frame
  // of a later Run) goes below it.
  struct KeepFrame {
    int* lines;
    ~KeepFrame() { *lines = 0; }
  } keep_frame{&drawn_lines_};
  WatchOutcome outcome;
  auto stream = std::make_unique<EventStream>(client_, id_, model_.last_seq(), settings_.reconnect_timeout_ms);
  int64_t last_health_ms = 0;
  while (true) {
    EventStream::Item item;
    if (stream->Next(&item, kPollMs)) {
      if (item.kind == EventStream::Item::kEvent) {
        HandleEvent(item.event);
      } else if (item.kind == EventStream::Item::kReconnecting) {
        const std::string line = absl::StrCat(FormatClock(common::RealClock::Get()->NowUnixMs()), " ",
                                              item.status.message(), "; reconnecting\n");
        if (settings_.tty) scrolled_ += line;
        else if (!settings_.json) Emit(line);
        dirty_ = true;
      } else {
        // The server ends the stream once the experiment is terminal; check, or resume.
        if (!item.status.ok()) {
          Draw(/*force=*/true);
          return item.status;
        }
        ECGBENCH_RETURN_IF_ERROR(Refresh());
        if (model_.terminal()) {
          Draw(/*force=*/true);
          outcome.state = model_.experiment().state();
          return outcome;
        }
        // Not over yet (a stream closed early): resume after a pause, so a misbehaving server
        // cannot make this a busy loop.
        stream.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(kResumePauseMs));
        stream = std::make_unique<EventStream>(client_, id_, model_.last_seq(), settings_.reconnect_timeout_ms);
      }
    }
    const int64_t now = MonotonicMs();
    if (InterruptCount() != start_interrupts) {
      outcome.interrupted = true;
      break;
    }
    if (deadline_monotonic_ms > 0 && now >= deadline_monotonic_ms) {
      outcome.timed_out = true;
      break;
    }
    if (settings_.health_check && now - last_health_ms >= kHealthIntervalMs) {
      last_health_ms = now;
      absl::Status health = settings_.health_check();
      if (!health.ok()) {
        Draw(/*force=*/true);
        return health;
      }
    }
    // A failed refresh is retried at the next interval; the stream reports lasting trouble.
    if (needs_refresh_ && now - last_refresh_ms_ >= kRefreshIntervalMs) (void)Refresh();
    Draw(/*force=*/false);
  }
  stream.reset();
  Draw(/*force=*/true);
  outcome.state = model_.experiment().state();
  return outcome;
}

}  // namespace ecgbench::client
