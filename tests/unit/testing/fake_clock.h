// FakeClock: a Clock that moves only when a test says so (tests only).
#pragma once

#include <atomic>

#include "common/util/clock.h"

namespace ecgbench::testing {

class FakeClock final : public common::Clock {
 public:
  int64_t NowUnixMs() const override { return 1'700'000'000'000 + now_.load(); }
  int64_t NowMonotonicMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_{1000};
};

}  // namespace ecgbench::testing
