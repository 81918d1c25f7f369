// Writes an ecg::Record as a WFDB record: <dir>/<name>.hea and <dir>/<name>.dat (all signals in one
// file, interleaved), format 16 (default), 212 or 24, with per-signal checksums, baseline 0 and
// ADC zero 0. This is how the synthetic generator writes PTB-XL / MIMIC-IV-ECG layouts
// (records500/00000/00001_hr.hea + .dat, format 16, gain 1000 adu/mV).
//
// digital = round(mV * gain), clamped to the format's range (the lowest code, WFDB's "invalid
// sample", is reserved for NaN). ReadWfdbRecord(WriteWfdbRecord(r)) equals r within 0.5 / gain for
// values inside the range.
// Metadata goes into comments: "#Age: 63", "#Sex: Male|Female", "#Dx: code,code" when set.
// Both files are written through a temp file + rename (fsync too when options.durable).
// Errors: InvalidArgument for a record that does not validate, a bad record name or an unsupported
// format/gain; file errors name the path. Thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg {

struct WfdbWriteOptions {
  int format = 16;      // 16, 212 or 24
  double gain = 1000;   // adu per mV (> 0)
  bool write_comments = true;  // Age / Sex / Dx comment lines from the record's metadata
  bool durable = false;        // fsync each file before the rename (slower; for final outputs)
};

// Writes `record` as `dir`/`name`.hea + .dat (dir must exist). The header's record name is `name`
// and the signal descriptions are the record's lead names.
absl::Status WriteWfdbRecord(const Record& record, const std::string& dir, const std::string& name,
                             const WfdbWriteOptions& options = {});

}  // namespace ecgbench::common::ecg
