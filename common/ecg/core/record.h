// Record: one ECG recording in memory, as every reader produces it and every processing step
// consumes it. Samples are float32 in physical units (mV), lead-major: lead l, sample t is
// samples[l * num_samples + t], the layout of the segment store ([N x 12 x L]).
// Plain data; copyable; not thread-safe to mutate concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ecgbench::common::ecg {

struct Record {
  std::string id;          // record id within its dataset ("00001_hr", an exam id, a file stem)
  std::string patient_id;  // empty when the dataset has none
  std::string source;      // "ptbxl", "mimic", "code15", "cpsc", "csn", "npy", "wfdb", ...
  std::string path;        // where it was read from (for messages)
  double sampling_rate_hz = 0;
  std::vector<std::string> leads;  // lead names, one per row of `samples`
  int64_t num_samples = 0;         // per lead
  std::vector<float> samples;      // leads.size() * num_samples values, lead-major, mV

  // Metadata carried along to segments (empty/unset when unknown).
  std::optional<int> age;
  std::string sex;                         // "M", "F" or empty
  std::vector<std::string> dx_codes;       // diagnosis codes as in the source (SNOMED, SCP, ...)
  std::string report;                      // free-text report
  std::map<std::string, std::string> extra;  // dataset-specific fields (e.g. strat_fold)

  int num_leads() const { return static_cast<int>(leads.size()); }
  double duration_s() const { return sampling_rate_hz > 0 ? num_samples / sampling_rate_hz : 0; }
  float* lead(int l) { return samples.data() + static_cast<size_t>(l) * static_cast<size_t>(num_samples); }
  const float* lead(int l) const {
    return samples.data() + static_cast<size_t>(l) * static_cast<size_t>(num_samples);
  }
  // InvalidArgument naming the record when the shape is inconsistent (samples size, rate <= 0).
  absl::Status Validate() const;
};

}  // namespace ecgbench::common::ecg
