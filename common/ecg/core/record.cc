// Record invariants.
#include "common/ecg/core/record.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg {

absl::Status Record::Validate() const {
  const std::string& where = path.empty() ? id : path;  // no copy: Validate runs once per record
  if (sampling_rate_hz <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": sampling rate must be positive, got ", sampling_rate_hz));
  }
  if (leads.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no leads"));
  if (num_samples <= 0) return absl::InvalidArgumentError(absl::StrCat(where, ": no samples"));
  if (samples.size() != leads.size() * static_cast<size_t>(num_samples)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", samples.size(), " values for ", leads.size(),
                                                   " leads x ", num_samples, " samples"));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
