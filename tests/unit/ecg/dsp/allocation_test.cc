// After warm-up, the filter chain and the record resampler do not allocate (the preprocess
// benchmark's per-core target depends on it). Counts global operator new calls in this binary.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <new>
#include <utility>

#include "common/ecg/dsp/filter_chain.h"
#include "common/ecg/dsp/resample.h"

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ecgbench::common::ecg {
namespace {

Record MakeRecord(double fs, int64_t n, int salt) {
  Record r;
  r.id = "alloc";  // short: Record::Validate copies the id into a std::string (SSO, no heap)
  r.sampling_rate_hz = fs;
  r.num_samples = n;
  for (int l = 0; l < 12; ++l) {
    r.leads.push_back(l < 6 ? "I" : "V1");
    for (int64_t t = 0; t < n; ++t) r.samples.push_back(static_cast<float>(std::sin(0.01 * (t + salt) * (l + 1))));
  }
  return r;
}

long CountAllocations(const std::function<void()>& fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations;
}

TEST(AllocationTest, FilterChainAfterWarmUp) {
  for (const auto& [fs, n] : {std::pair<double, int64_t>{500, 5000}, {500, 2501}}) {  // 2501: FFT path
    PaperFilterChain chain;
    Record warm = MakeRecord(fs, n, 1);
    ASSERT_TRUE(chain.Apply(warm).ok());
    Record r = MakeRecord(fs, n, 2);
    absl::Status status;
    EXPECT_EQ(CountAllocations([&] { status = chain.Apply(r); }), 0) << n;
    EXPECT_TRUE(status.ok());
  }
}

TEST(AllocationTest, RecordResamplerAfterWarmUp) {
  for (ResampleMethod method : {ResampleMethod::kCubic, ResampleMethod::kPolyphase}) {
    RecordResampler resampler;
    Record warm = MakeRecord(500, 5000, 1);
    ASSERT_TRUE(resampler.Resample(warm, 250, method).ok());
    Record r = MakeRecord(500, 5000, 2);
    absl::Status status;
    EXPECT_EQ(CountAllocations([&] { status = resampler.Resample(r, 250, method); }), 0) << ResampleMethodName(method);
    EXPECT_TRUE(status.ok());
    EXPECT_EQ(r.num_samples, 2500);
  }
}

}  // namespace
}  // namespace ecgbench::common::ecg
