// Multi-threaded RAG feature extraction (see feature_batch.h).
#include "common/rag/feature_batch.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::rag {

absl::Status ExtractFeaturesBatch(int64_t count, const std::function<const float*(int64_t)>& ecg, int num_leads,
                                  int64_t num_samples, const FeatureOptions& options, int num_threads,
                                  absl::Span<double> out, const std::function<std::string(int64_t)>& name) {
  const int64_t per = static_cast<int64_t>(num_leads) * kFeaturesPerLead;
  if (count < 0 || static_cast<int64_t>(out.size()) != count * per) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature batch: output holds ", out.size(), " values, expected ", count * per));
  }
  if (count == 0) return absl::OkStatus();
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  num_threads = static_cast<int>(std::min<int64_t>(num_threads, count));

  std::atomic<int64_t> next{0};
  std::mutex mu;
  int64_t failed_at = count;  // guarded by mu
  absl::Status failure;       // guarded by mu
  auto work = [&] {
    EcgFeatureExtractor extractor(options);
    for (int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      absl::Status st = extractor.Extract(ecg(i), num_leads, num_samples, out.subspan(static_cast<size_t>(i * per),
                                                                                       static_cast<size_t>(per)));
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < failed_at) {
          failed_at = i;
          failure = st;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(num_threads - 1));
  for (int t = 1; t < num_threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (failed_at < count) {
    const std::string who = name ? name(failed_at) : std::to_string(failed_at);
    return absl::Status(failure.code(), absl::StrCat("ECG ", who, ": ", failure.message()));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::rag
