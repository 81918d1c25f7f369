// Real clock implementation.
#include "common/util/clock.h"

#include <chrono>

namespace ecgbench::common {

int64_t RealClock::NowUnixMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t RealClock::NowMonotonicMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Clock* RealClock::Get() {
  static Clock* clock = new RealClock();
  return clock;
}

}  // namespace ecgbench::common
