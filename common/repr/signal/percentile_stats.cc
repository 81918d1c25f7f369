// Percentile statistics: estimation from a SegmentStore sample and the JSON round trip.
#include "common/repr/signal/percentile_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/det_random.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

absl::Status FieldError(std::string_view what, std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(what), ": field \"", std::string(field), "\" ", std::string(reason)));
}

absl::StatusOr<double> GetDouble(const nlohmann::json& j, std::string_view what, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return FieldError(what, field, "is missing");
  if (!it->is_number()) return FieldError(what, field, "must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) return FieldError(what, field, "must be finite");
  return v;
}

absl::StatusOr<int64_t> GetInt(const nlohmann::json& j, std::string_view what, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return FieldError(what, field, "is missing");
  if (!it->is_number_integer()) return FieldError(what, field, "must be an integer");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return FieldError(what, field, "is out of range");
  }
  return it->get<int64_t>();
}

}  // namespace

nlohmann::json PercentileStats::ToJson() const {
  return nlohmann::json{{"version", kPercentileStatsVersion},
                        {"p1", p1},
                        {"p99", p99},
                        {"num_values", num_values},
                        {"max_values", max_values},
                        {"seed", seed},
                        {"num_segments", num_segments},
                        {"store_content_hash", store_content_hash}};
}

absl::StatusOr<PercentileStats> PercentileStats::FromJson(const nlohmann::json& json, std::string_view what) {
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": not a JSON object"));
  ECGBENCH_ASSIGN_OR_RETURN(const int64_t version, GetInt(json, what, "version"));
  if (version != kPercentileStatsVersion) {
    return FieldError(what, "version", absl::StrCat("is ", version, ", expected ", kPercentileStatsVersion));
  }
  PercentileStats s;
  ECGBENCH_ASSIGN_OR_RETURN(s.p1, GetDouble(json, what, "p1"));
  ECGBENCH_ASSIGN_OR_RETURN(s.p99, GetDouble(json, what, "p99"));
  if (s.p1 > s.p99) return FieldError(what, "p1", "is greater than p99");
  ECGBENCH_ASSIGN_OR_RETURN(s.num_values, GetInt(json, what, "num_values"));
  ECGBENCH_ASSIGN_OR_RETURN(s.max_values, GetInt(json, what, "max_values"));
  ECGBENCH_ASSIGN_OR_RETURN(s.num_segments, GetInt(json, what, "num_segments"));
  if (s.num_values < 0) return FieldError(what, "num_values", "must be >= 0");
  auto seed = json.find("seed");
  if (seed == json.end()) return FieldError(what, "seed", "is missing");
  if (!seed->is_number_integer() || (seed->is_number_integer() && !seed->is_number_unsigned() &&
                                     seed->get<int64_t>() < 0)) {
    return FieldError(what, "seed", "must be a non-negative integer");
  }
  s.seed = seed->get<uint64_t>();
  auto hash = json.find("store_content_hash");
  if (hash == json.end()) return FieldError(what, "store_content_hash", "is missing");
  if (!hash->is_string()) return FieldError(what, "store_content_hash", "must be a string");
  s.store_content_hash = hash->get<std::string>();
  return s;
}

absl::Status SavePercentileStats(const PercentileStats& stats, const std::string& path) {
  return WriteFileAtomic(path, stats.ToJson().dump(2) + "\n");
}

absl::StatusOr<PercentileStats> LoadPercentileStats(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, ParseJson(text, path));
  return PercentileStats::FromJson(json, path);
}

double PercentileLinear(std::vector<double>* values, double q) {
  std::vector<double>& v = *values;
  const int64_t n = static_cast<int64_t>(v.size());
  const double virtual_index = static_cast<double>(n - 1) * (q / 100.0);
  if (virtual_index >= static_cast<double>(n - 1)) return *std::max_element(v.begin(), v.end());
  if (virtual_index <= 0) return *std::min_element(v.begin(), v.end());
  const double previous = std::floor(virtual_index);
  const auto lo = static_cast<size_t>(previous);
  std::nth_element(v.begin(), v.begin() + lo, v.end());
  const double a = v[lo];
  const double b = *std::min_element(v.begin() + lo + 1, v.end());
  const double t = virtual_index - previous;
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;  // numpy's _lerp
}

absl::StatusOr<PercentileStats> EstimatePercentiles(const ecg::SegmentStore& store,
                                                    const PercentileOptions& options) {
  if (options.max_values <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("percentiles: max_values must be > 0, got ", options.max_values));
  }
  const int64_t per_segment = store.num_leads() * store.segment_length();
  const int64_t total = store.size() * per_segment;
  if (total <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("percentiles: store ", store.dir(), " has no values"));
  }
  const int64_t n = std::min(total, options.max_values);
  std::vector<double> sample(static_cast<size_t>(n));
  DetRandom rng(options.seed, RandomStream::kPercentileSample, 0, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t flat = n == total ? i : static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(total)));
    const int64_t segment = flat / per_segment;
    const int64_t offset = flat % per_segment;
    const float value = store.Segment(segment)[offset];
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat("percentiles: store ", store.dir(), " segment ", segment,
                                                     " lead ", offset / store.segment_length(), " sample ",
                                                     offset % store.segment_length(), " is not finite"));
    }
    sample[static_cast<size_t>(i)] = value;
  }
  PercentileStats stats;
  stats.p1 = PercentileLinear(&sample, 1.0);
  stats.p99 = PercentileLinear(&sample, 99.0);
  stats.num_values = n;
  stats.max_values = options.max_values;
  stats.seed = options.seed;
  stats.num_segments = store.size();
  const auto hash = store.manifest().find("content_hash");
  if (hash != store.manifest().end() && hash->is_string()) stats.store_content_hash = hash->get<std::string>();
  return stats;
}

}  // namespace ecgbench::common::repr
