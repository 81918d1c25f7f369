// Dataset-percentile statistics for the ECG-Byte paper's normalization: p1 and p99 of a seeded
// random sample of the values of a SegmentStore, saved as JSON next to the data that used them.
// Percentiles use numpy's default definition (method "linear": virtual index (n - 1) * q / 100,
// numpy's two-sided lerp) over the sampled float32 values promoted to float64, i.e. what
// np.percentile(sample.astype(np.float64), [1, 99]) returns.
// All functions are thread-safe (EstimatePercentiles only reads the store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {

inline constexpr int kPercentileStatsVersion = 1;
inline constexpr int64_t kDefaultPercentileSampleValues = 300000;

struct PercentileStats {
  double p1 = 0;
  double p99 = 0;
  int64_t num_values = 0;   // values in the sample
  int64_t max_values = kDefaultPercentileSampleValues;
  uint64_t seed = 0;
  int64_t num_segments = 0;        // segments in the store sampled
  std::string store_content_hash;  // the store's manifest content_hash ("" when it has none)

  // {"version": 1, "p1", "p99", "num_values", "max_values", "seed", "num_segments",
  //  "store_content_hash"}; doubles print with round-trip precision.
  nlohmann::json ToJson() const;
  // InvalidArgument naming `what` and the field for a missing/mistyped field, a version other
  // than 1, non-finite p1/p99 or p1 > p99.
  static absl::StatusOr<PercentileStats> FromJson(const nlohmann::json& json, std::string_view what);
};

// Atomic write / read of ToJson() (errors name the file; parse errors name file and field).
absl::Status SavePercentileStats(const PercentileStats& stats, const std::string& path);
absl::StatusOr<PercentileStats> LoadPercentileStats(const std::string& path);

struct PercentileOptions {
  int64_t max_values = kDefaultPercentileSampleValues;  // > 0
  uint64_t seed = 0;
};

// Samples min(max_values, all values) values of `store`: all of them (in store order) when the
// store holds at most max_values values, else max_values flat value indices drawn uniformly WITH
// replacement from DetRandom(seed, kPercentileSample, 0, 0). InvalidArgument for an empty
// store, max_values <= 0, or a non-finite sampled value (naming segment, lead and sample).
absl::StatusOr<PercentileStats> EstimatePercentiles(const ecg::SegmentStore& store,
                                                    const PercentileOptions& options = {});

// numpy's np.percentile(values, q) ("linear"), 0 <= q <= 100. Reorders `values` (partial sort).
// REQUIRES !values->empty().
double PercentileLinear(std::vector<double>* values, double q);

}  // namespace ecgbench::common::repr
