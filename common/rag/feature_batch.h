// Feature extraction over many ECGs on several threads (records are independent): each thread
// owns one EcgFeatureExtractor, so the per-record work does not allocate once warmed up.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/rag/ecg_features.h"

namespace ecgbench::common::rag {

// Calls ecg(i) for i in [0, count) (from several threads at once: it must be thread-safe and
// return num_leads * num_samples lead-major floats that stay valid until this returns) and writes
// the features of ECG i to out[i * num_leads * 24, ...). num_threads <= 0: hardware concurrency.
// On failure returns the error of the lowest failing i, prefixed with "ECG <name(i)>: " where
// name(i) is `name` when given, else the index. The output is identical for any thread count.
absl::Status ExtractFeaturesBatch(int64_t count, const std::function<const float*(int64_t)>& ecg, int num_leads,
                                  int64_t num_samples, const FeatureOptions& options, int num_threads,
                                  absl::Span<double> out,
                                  const std::function<std::string(int64_t)>& name = nullptr);

}  // namespace ecgbench::common::rag
