// LeaseTracker: the worker's view of its lease at the coordinator, for self-fencing. The
// coordinator expires a worker whose last heartbeat arrived more than lease_ms ago and re-queues
// its tasks; the worker cannot see the arrival, only when it SENT a request that was answered OK,
// which is no later than the arrival. So when `fence_after_ms` (the lease minus one heartbeat
// interval of safety margin, at least half the lease) has passed since that send time, the lease
// may be gone and another worker may own the tasks: the agent stops them (CancelReason::kLeaseLost).
// Not thread-safe (the Agent guards it with its mutex). Times are monotonic milliseconds.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ecgbench::worker {

class LeaseTracker {
 public:
  // A RegisterWorker or Heartbeat request sent at `sent_ms` was answered OK. lease_ms <= 0 keeps
  // the lease last announced (none yet: no fencing).
  void Renewed(int64_t sent_ms, int lease_ms, int heartbeat_interval_ms) {
    renewed_ms_ = std::max(renewed_ms_, sent_ms);
    if (lease_ms > 0) {
      lease_ms_ = lease_ms;
      fence_after_ms_ = std::max<int64_t>(lease_ms / 2, lease_ms - std::max(0, heartbeat_interval_ms));
    }
  }
  // True once no renewal was sent for fence_after_ms (never before the first lease is known).
  bool Lost(int64_t now_ms) const { return lease_ms_ > 0 && now_ms - renewed_ms_ >= fence_after_ms_; }
  // Milliseconds since the last renewal was sent.
  int64_t silent_ms(int64_t now_ms) const { return now_ms - renewed_ms_; }
  int lease_ms() const { return lease_ms_; }
  int64_t fence_after_ms() const { return fence_after_ms_; }

 private:
  int64_t renewed_ms_ = 0;
  int lease_ms_ = 0;
  int64_t fence_after_ms_ = 0;
};

}  // namespace ecgbench::worker
