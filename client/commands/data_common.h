// Shared pieces of the `ecgbench data` commands: what kind of file a path argument names, reading
// a record from it, the per-record steps of the preprocess pipeline (for `data convert`), per-lead
// statistics (for `data inspect`) and small text helpers. Pure functions apart from file reads;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/commands/context.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dataset/quality.h"
#include "common/ecg/dsp/resample.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client::data {

// Footer of every `data` subcommand's --help.
inline constexpr char kDataFooter[] =
    "Exit codes: 0 success, 1 failure (e.g. writing the output), 2 usage error, 6 invalid input\n"
    "(a missing, unreadable or malformed input file). docs/cli.md, section \"data\", has the reference.";

// Prints "ecgbench: <message>" on err and returns `exit_code`.
int Fail(CommandContext& ctx, const absl::Status& status, int exit_code);

enum class InputKind {
  kWfdb,        // a .hea file, a WFDB base path (no extension) or its .dat
  kMat,         // a MATLAB v4 .mat with its sibling .hea (CPSC / CSN)
  kNpy,         // a .npy array [leads x samples] or [samples]
  kCode15Row,   // "FILE.hdf5#ROW" (also .h5): one CODE-15 exam
  kCode15File,  // a .hdf5 / .h5 file without a row
  kDirectory,   // an existing directory (a segment store for `inspect`)
};

struct InputSpec {
  InputKind kind = InputKind::kWfdb;
  std::string arg;   // the argument as given (for messages)
  std::string path;  // the file to read: WFDB header path (with or without .hea), .mat, .npy, .hdf5
  int64_t row = -1;  // kCode15Row
};

// Classifies `arg` by its form (and whether it is a directory). InvalidArgument, meant as a usage
// error, for an unknown extension ("x.csv: unknown input type '.csv' (expected a WFDB record: .hea,
// .dat or a base path; .mat; .npy; or FILE.hdf5#ROW)") or a bad row ("x.hdf5#a: ROW must be a
// non-negative integer").
absl::StatusOr<InputSpec> ClassifyInput(const std::string& arg);

// Reads the record behind `in` (kWfdb, kMat, kNpy, kCode15Row; CODE-15 rows unpadded as the
// pipeline reads them: all 4096 samples). `npy_rate_hz` is the rate of a .npy input (> 0).
// Errors are the readers', naming the file.
absl::StatusOr<common::ecg::Record> ReadInputRecord(const InputSpec& in, double npy_rate_hz);

// True when `record` has all 12 standard leads (under any spelling StandardLeadIndex accepts).
bool HasStandardLeads(const common::ecg::Record& record);

struct PrepareOptions {
  double target_rate_hz = 250;
  bool paper_filters = false;
  common::ecg::NanPolicy nan = common::ecg::NanPolicy::kSkip;
  common::ecg::ResampleMethod resample = common::ecg::ResampleMethod::kCubic;
};

struct PrepareReport {
  bool harmonized = false;       // leads reordered to I..V6 (the input had the 12 standard leads)
  int64_t nonfinite_zeroed = 0;  // NaN/Inf values set to 0 (NanPolicy::kZero)
  double input_rate_hz = 0;
  int64_t input_samples = 0;
};

// The per-record steps of the preprocess pipeline (common/ecg/pipeline/preprocess.h), in its order,
// short of segmentation: harmonise leads when the record has the 12 standard leads (else keep them
// as they are, e.g. one-lead MIT-BIH), NaN/Inf scan at the native rate (kSkip: InvalidArgument
// "<path>: N non-finite values (NaN/Inf); --nan skip leaves the record out (--nan zero zero-fills
// them)"; kZero: zero-filled and counted), optional paper-era filters at the native rate, resample.
absl::StatusOr<PrepareReport> PrepareRecord(common::ecg::Record& record, const PrepareOptions& options);

struct LeadStats {
  std::string lead;
  double min = 0, max = 0, mean = 0, std = 0;  // over the finite values (NaN when there are none)
  int64_t nonfinite = 0;
  bool flat = false;       // dataset/quality.h IsFlatLead over the finite values
  bool saturated = false;  // IsSaturatedLead, for leads that are not flat
};

std::vector<LeadStats> ComputeLeadStats(const common::ecg::Record& record);

// Shortest "%g"-style text of a number with up to 6 significant digits ("500", "0.25", "1e-05").
std::string Num(double value);
// Scalars of a JSON value as "a.b: value" lines ({"a": {"b": 1}, "c": "x"} -> "a.b: 1", "c: x").
void FlattenJson(const nlohmann::json& j, const std::string& prefix, std::vector<std::string>* lines);
// The segmenter's counts (SegmenterCounts::ToJson: windows, records_too_short, quality.{...}) as
// two lines under "quality:" ("40 windows: 38 kept, 2 skipped (2 non-finite, 0 flat, 0 saturated),
// 0 zero-filled" / "0 flat leads in 0 segments, 0 saturated leads in 0 segments, 0 records too short").
std::string QualityLines(const nlohmann::json& segmenter_counts);
// KeyLine(key, lines[0]) and the other lines indented to the same column ("-" when there are none).
std::string IndentedLines(const std::string& key, const std::vector<std::string>& lines);
// "key:" padded to 12 columns, then the value and '\n'.
std::string KeyLine(const std::string& key, const std::string& value);

}  // namespace ecgbench::client::data
