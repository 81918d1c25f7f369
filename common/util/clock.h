// Clock: the one source of time for leases, backoff and timestamps, injectable so that tests can
// step time by hand. Implementations are thread-safe.
#pragma once

#include <cstdint>

namespace ecgbench::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (for records shown to people).
  virtual int64_t NowUnixMs() const = 0;
  // Monotonic milliseconds (for leases and timeouts); unrelated to wall time.
  virtual int64_t NowMonotonicMs() const = 0;
};

// The process's real clocks (CLOCK_REALTIME, CLOCK_MONOTONIC).
class RealClock final : public Clock {
 public:
  int64_t NowUnixMs() const override;
  int64_t NowMonotonicMs() const override;
  // A process-wide instance; never destroyed.
  static Clock* Get();
};

}  // namespace ecgbench::common
