// Agent, continued: self-fencing and stuck runners. The watchdog thread stops every running
// assignment once the lease may have expired at the coordinator (LeaseTracker), and reports a
// runner that was cancelled while the agent serves but has not returned within stuck_runner_wait.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "worker/agent/agent.h"
#include "worker/agent/assignment_run.h"

namespace ecgbench::worker {

void Agent::LeaseRenewed(int64_t sent_ms, int lease_ms) {
  absl::MutexLock lock(&mu_);
  lease_.Renewed(sent_ms, lease_ms, heartbeat_interval_ms_);
}

bool Agent::LeaseLost(std::string* why) const {
  const int64_t now = clock_->NowMonotonicMs();
  absl::MutexLock lock(&mu_);
  if (!lease_.Lost(now)) return false;
  if (why != nullptr) {
    *why = absl::StrCat("no heartbeat answered for ", lease_.silent_ms(now), " ms (lease ", lease_.lease_ms(),
                        " ms, fencing after ", lease_.fence_after_ms(), " ms)");
  }
  return true;
}

void Agent::FenceRuns(const std::string& why) {
  std::vector<std::string> fenced;
  for (const auto& run : Runs()) {
    if (run->Cancel(CancelReason::kLeaseLost)) fenced.push_back(run->label());
  }
  if (fenced.empty()) return;
  spdlog::warn("lease lost: {}; another worker may own these tasks now, stopping {} assignment(s) without a "
               "checkpoint or a report: {}",
               why, fenced.size(), absl::StrJoin(fenced, "; "));
}

void Agent::WatchdogLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_threads_), options_.watchdog_interval)) return;
    }
    std::string why;
    if (LeaseLost(&why)) FenceRuns(why);
    const int64_t now = clock_->NowMonotonicMs();
    const int64_t stuck_after = absl::ToInt64Milliseconds(options_.stuck_runner_wait);
    for (const auto& run : Runs()) {
      const CancelReason reason = run->cancel_reason();
      // Shutdown cancels are Run's to wait for; a returned runner is only reporting.
      if (reason == CancelReason::kNone || reason == CancelReason::kShutdown || run->runner_returned()) continue;
      const int64_t cancelled_at = run->cancelled_at_ms();  // 0 for a moment while Cancel runs
      if (cancelled_at == 0 || now - cancelled_at < stuck_after || !run->MarkStuckReported()) continue;
      spdlog::critical("{}: the runner did not return within {} after it was cancelled ({}); it is stuck",
                       run->label(), absl::FormatDuration(options_.stuck_runner_wait), CancelReasonName(reason));
      if (options_.on_stuck_runner) options_.on_stuck_runner(run->label());
    }
  }
}

}  // namespace ecgbench::worker
