// Backoff: exponential retry delays with jitter (initial, 2x initial, ... capped at max), so that
// many workers do not hammer a coordinator that is coming back all at the same instant.
// Not thread-safe; one per retry loop.
#pragma once

#include <algorithm>
#include <random>

#include "absl/time/time.h"

namespace ecgbench::worker {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max)
      : initial_(initial), max_(std::max(initial, max)), next_(initial), rng_(std::random_device{}()) {}

  // The delay before the next attempt: the current step scaled by a factor in [0.8, 1.2], never
  // above max.
  absl::Duration Next() {
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const absl::Duration delay = std::min(max_, next_ * jitter(rng_));
    next_ = std::min(max_, next_ * 2);
    return delay;
  }

  void Reset() { next_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration next_;
  std::minstd_rand rng_;
};

}  // namespace ecgbench::worker
