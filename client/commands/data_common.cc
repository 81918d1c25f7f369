// Shared pieces of the `ecgbench data` commands.
#include "client/commands/data_common.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dsp/filter_chain.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/matv4_reader.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/pipeline/preprocess.h"
#include "common/util/status_macros.h"

namespace ecgbench::client::data {

namespace ecg = common::ecg;

int Fail(CommandContext& ctx, const absl::Status& status, int exit_code) {
  ctx.err() << "ecgbench: " << status.message() << "\n" << std::flush;
  return exit_code;
}

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsHdf5Name(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  return EndsWith(lower, ".hdf5") || EndsWith(lower, ".h5");
}

}  // namespace

absl::StatusOr<InputSpec> ClassifyInput(const std::string& arg) {
  InputSpec in;
  in.arg = arg;
  in.path = arg;
  std::error_code ec;
  if (!arg.empty() && std::filesystem::is_directory(arg, ec)) {
    in.kind = InputKind::kDirectory;
    return in;
  }
  const size_t hash = arg.rfind('#');
  if (hash != std::string::npos && IsHdf5Name(arg.substr(0, hash))) {
    in.kind = InputKind::kCode15Row;
    in.path = arg.substr(0, hash);
    const std::string row = arg.substr(hash + 1);
    if (row.empty() || !absl::SimpleAtoi(row, &in.row) || in.row < 0 ||
        row.find_first_not_of("0123456789") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(arg, ": ROW must be a non-negative integer (FILE.hdf5#ROW)"));
    }
    return in;
  }
  const std::string name = std::filesystem::path(arg).filename().string();
  const size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos || dot == 0 ? "" : absl::AsciiStrToLower(name.substr(dot));
  if (ext.empty() || ext == ".hea") {
    in.kind = InputKind::kWfdb;
  } else if (ext == ".dat") {
    in.kind = InputKind::kWfdb;
    in.path = arg.substr(0, arg.size() - ext.size());
  } else if (ext == ".mat") {
    in.kind = InputKind::kMat;
  } else if (ext == ".npy") {
    in.kind = InputKind::kNpy;
  } else if (ext == ".hdf5" || ext == ".h5") {
    in.kind = InputKind::kCode15File;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(arg, ": unknown input type '", ext,
                     "' (expected a WFDB record: .hea, .dat or a base path; .mat; .npy; or FILE.hdf5#ROW)"));
  }
  return in;
}

absl::StatusOr<ecg::Record> ReadInputRecord(const InputSpec& in, double npy_rate_hz) {
  switch (in.kind) {
    case InputKind::kWfdb:
      return ecg::ReadWfdbRecord(in.path);
    case InputKind::kMat:
      return ecg::ReadMatV4Record(in.path);
    case InputKind::kNpy:
      return ecg::ReadNpyRecord(in.path, npy_rate_hz);
    case InputKind::kCode15Row: {
      ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<ecg::Code15File> file, ecg::Code15File::Open(in.path));
      return file->ReadExam(in.row, ecg::Code15View::kRaw);
    }
    case InputKind::kCode15File:
      return absl::InvalidArgumentError(absl::StrCat(in.arg, ": name one exam as ", in.arg, "#ROW"));
    case InputKind::kDirectory:
      return absl::InvalidArgumentError(absl::StrCat(in.arg, ": is a directory, not a record"));
  }
  return absl::InternalError("unreachable input kind");
}

bool HasStandardLeads(const ecg::Record& record) {
  std::array<bool, ecg::kNumStandardLeads> seen{};
  int count = 0;
  for (const std::string& lead : record.leads) {
    const int i = ecg::StandardLeadIndex(lead);
    if (i >= 0 && !seen[static_cast<size_t>(i)]) {
      seen[static_cast<size_t>(i)] = true;
      ++count;
    }
  }
  return count == ecg::kNumStandardLeads;
}

absl::StatusOr<PrepareReport> PrepareRecord(ecg::Record& record, const PrepareOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  PrepareReport report;
  report.input_rate_hz = record.sampling_rate_hz;
  report.input_samples = record.num_samples;
  const std::string where = record.path.empty() ? record.id : record.path;
  if (HasStandardLeads(record)) {
    ECGBENCH_RETURN_IF_ERROR(ecg::HarmonizeLeads(record));
    report.harmonized = true;
  }
  ecg::ConditionOptions steps;
  steps.target_rate_hz = options.target_rate_hz;
  steps.paper_filters = options.paper_filters;
  steps.resample = options.resample;
  ecg::RecordConditioner conditioner;
  ECGBENCH_ASSIGN_OR_RETURN(const ecg::NonFiniteScan scan, conditioner.Condition(record, steps));
  if (scan.values > 0 && options.nan == ecg::NanPolicy::kSkip) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", scan.values,
                                                   " non-finite values (NaN/Inf); --nan skip leaves the record out "
                                                   "(--nan zero zero-fills them)"));
  }
  report.nonfinite_zeroed = scan.values;
  return report;
}

std::vector<LeadStats> ComputeLeadStats(const ecg::Record& record) {
  std::vector<LeadStats> stats;
  stats.reserve(record.leads.size());
  std::vector<float> finite;  // one buffer for every lead
  finite.reserve(static_cast<size_t>(std::max<int64_t>(record.num_samples, 0)));
  const ecg::QualityOptions quality;
  for (int l = 0; l < record.num_leads(); ++l) {
    LeadStats s;
    s.lead = record.leads[static_cast<size_t>(l)];
    const float* x = record.lead(l);
    finite.clear();
    double sum = 0;
    for (int64_t t = 0; t < record.num_samples; ++t) {
      if (std::isfinite(x[t])) {
        finite.push_back(x[t]);
        sum += x[t];
      } else {
        ++s.nonfinite;
      }
    }
    const int64_t n = static_cast<int64_t>(finite.size());
    if (n == 0) {
      s.min = s.max = s.mean = s.std = std::numeric_limits<double>::quiet_NaN();
    } else {
      s.mean = sum / static_cast<double>(n);
      double sq = 0;
      s.min = s.max = finite[0];
      for (float v : finite) {
        const double d = v - s.mean;
        sq += d * d;
        s.min = std::min<double>(s.min, v);
        s.max = std::max<double>(s.max, v);
      }
      s.std = std::sqrt(sq / static_cast<double>(n));
      s.flat = ecg::IsFlatLead(finite.data(), n, quality.flat_peak_to_peak_mv);
      s.saturated = !s.flat && ecg::IsSaturatedLead(finite.data(), n, quality);
    }
    stats.push_back(std::move(s));
  }
  return stats;
}

std::string Num(double value) {
  if (std::isnan(value)) return "nan";
  return absl::StrFormat("%.6g", value);
}

std::string KeyLine(const std::string& key, const std::string& value) {
  return absl::StrFormat("%-12s%s\n", key + ":", value);
}

void FlattenJson(const nlohmann::json& j, const std::string& prefix, std::vector<std::string>* lines) {
  if (j.is_object()) {
    if (j.empty() && !prefix.empty()) lines->push_back(prefix + ": {}");
    for (const auto& [key, value] : j.items()) FlattenJson(value, prefix.empty() ? key : prefix + "." + key, lines);
    return;
  }
  lines->push_back(absl::StrCat(prefix, ": ", j.is_string() ? j.get<std::string>() : j.dump()));
}

std::string QualityLines(const nlohmann::json& c) {
  const nlohmann::json q = c.value("quality", nlohmann::json::object());
  auto n = [](const nlohmann::json& j, const char* key) { return j.value(key, int64_t{0}); };
  return IndentedLines(
      "quality",
      {absl::StrCat(n(c, "windows"), " windows: ", n(q, "segments_kept"), " kept, ",
                    n(q, "skipped_nonfinite") + n(q, "skipped_flat") + n(q, "skipped_saturated"), " skipped (",
                    n(q, "skipped_nonfinite"), " non-finite, ", n(q, "skipped_flat"), " flat, ",
                    n(q, "skipped_saturated"), " saturated), ", n(q, "zero_filled_segments"), " zero-filled"),
       absl::StrCat(n(q, "flat_leads"), " flat leads in ", n(q, "segments_with_flat_lead"), " segments, ",
                    n(q, "saturated_leads"), " saturated leads in ", n(q, "segments_with_saturated_lead"),
                    " segments, ", n(c, "records_too_short"), " records too short")});
}

std::string IndentedLines(const std::string& key, const std::vector<std::string>& lines) {
  if (lines.empty()) return KeyLine(key, "-");
  std::string out = KeyLine(key, lines.front());
  for (size_t i = 1; i < lines.size(); ++i) out += std::string(12, ' ') + lines[i] + "\n";
  return out;
}

}  // namespace ecgbench::client::data
