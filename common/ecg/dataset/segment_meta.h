// SegmentMeta: the metadata that travels with every segment (one line of the segment store's
// index, one line of segments.jsonl on export). Plain data; copyable; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

struct SegmentMeta {
  std::string record_id;   // the base record's id within its dataset ("00001_hr", "40689238", ...)
  std::string patient_id;  // empty when the dataset has none
  int64_t segment_index = 0;  // window position in the record: samples [k*L, (k+1)*L)
  std::string report;      // the record's full report (every segment inherits it)
  std::string source;      // "ptbxl", "mimic", "code15", "cpsc", "csn", ...
  double sampling_rate_hz = 0;
  std::map<std::string, std::string> labels;  // e.g. {"class": "afib"}; may be empty

  bool operator==(const SegmentMeta& o) const;
};

// The metadata fields as a JSON object (keys: record_id, patient_id, segment_index, report, source,
// labels; the sampling rate is store-wide and lives in the manifest, so it is not written).
nlohmann::json SegmentMetaToJson(const SegmentMeta& meta);

// Inverse of SegmentMetaToJson. InvalidArgument naming `where` and the field when a field is
// missing or has the wrong type. `sampling_rate_hz` is filled from the argument.
absl::StatusOr<SegmentMeta> SegmentMetaFromJson(const nlohmann::json& j, std::string_view where,
                                                double sampling_rate_hz);

}  // namespace ecgbench::common::ecg
