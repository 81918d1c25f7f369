// Reads a WFDB record (.hea + signal files) into an ecg::Record in mV.
//
// Signal files: formats 16, 212 and 24, several files per record (signals interleaved frame by
// frame within each file, in header order), "+offset" byte offsets; a signal file ending in ".mat"
// is read as a MATLAB v4 matrix 'val' [signals x samples] (PhysioNet/CinC 2020 CPSC and CSN).
// Physical value = (digital - baseline) / gain (gain 0 -> 200, as WFDB), scaled to mV from the
// header's units (mV, uV, V; other units are an error). WFDB's "invalid sample" codes (-32768 in
// format 16, -2048 in 212, -8388608 in 24) become NaN. Checksums are verified when present.
//
// Metadata from '#' comments: Age (integer; "NaN"/"Unknown" -> unset), Sex (Male/Female/M/F ->
// "M"/"F"), Dx (comma-separated codes -> dx_codes); other "key: value" comments go to extra.
//
// Errors (InvalidArgument unless said otherwise) name the file and the reason:
//   NotFound "DIR/x.dat: cannot open: No such file or directory"
//   "x.dat: truncated: expected 240000 bytes (10000 samples x 12 signals in format 16), found 2000"
//   "x.dat: expected 120000 bytes (5000 samples x 12 signals in format 16), found 180000: the header
//    does not match the signal file"
//   "x.hea:5: checksum mismatch for lead V1: header says 1234, data gives -4321"
//   "x.hea:4: signal 3 (V1) is stored in 'x.dat' in format 212, but signal 1 in the same file uses 16"
//   header syntax errors from ParseWfdbHeader ("x.hea:3: format 80 not supported ...").
// Thread-safe (no shared state).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"
#include "common/ecg/formats/wfdb_header.h"

namespace ecgbench::common::ecg {

struct WfdbReadOptions {
  bool verify_checksums = true;
};

// `header_path` is the .hea file, with or without the ".hea" extension
// ("records500/00000/00001_hr" or ".../00001_hr.hea").
absl::StatusOr<Record> ReadWfdbRecord(const std::string& header_path, const WfdbReadOptions& options = {});

// Reads and parses a .hea file (same path convention).
absl::StatusOr<WfdbHeader> ReadWfdbHeaderFile(const std::string& header_path);

// Reads the signals described by an already-parsed `header`; signal files are looked up relative to
// the directory of `header_path`, which also names the header in messages.
absl::StatusOr<Record> ReadWfdbSignals(const WfdbHeader& header, const std::string& header_path,
                                       const WfdbReadOptions& options = {});

// Age / Sex / Dx / other comment fields of `header` into `record` (see above).
void ApplyWfdbComments(const WfdbHeader& header, Record& record);

// Multiplier from the header's units to mV (1 for mV, 1e-3 for uV, 1e3 for V), 0 when the units
// are not a voltage.
double WfdbUnitsToMillivolts(const std::string& units);

}  // namespace ecgbench::common::ecg
