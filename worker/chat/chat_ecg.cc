// Reading the chat's ECG (see chat_ecg.h).
#include "worker/chat/chat_ecg.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dataset/segmenter.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/pipeline/condition.h"
#include "common/repr/image/ecg_plot.h"
#include "common/repr/image/png.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::chat {
namespace {

namespace fs = std::filesystem;
namespace ecg = common::ecg;

constexpr char kExpected[] =
    "expected a WFDB record (.hea, .dat or its base path), a .mat with its .hea, a .npy array [12, L] or [L, 12], "
    "or FILE.hdf5#ROW";

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

// A .npy array [12, L] or [L, 12] as a 12-lead record.
absl::StatusOr<ecg::Record> ReadNpyEcg(const std::string& path, double rate_hz) {
  ECGBENCH_ASSIGN_OR_RETURN(ecg::NpyArray array, ecg::ReadNpy(path));
  const std::vector<int64_t>& shape = array.shape;
  const bool lead_major = shape.size() == 2 && shape[0] == ecg::kNumStandardLeads;
  const bool sample_major = shape.size() == 2 && !lead_major && shape[1] == ecg::kNumStandardLeads;
  if (!lead_major && !sample_major) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the ECG array must be [12, L] or [L, 12] (12 leads I..V6), "
                                                   "got shape ", ShapeText(shape)));
  }
  ecg::Record record;
  record.id = fs::path(path).stem().string();
  record.path = path;
  record.source = "npy";
  record.sampling_rate_hz = rate_hz;
  for (const char* lead : ecg::kStandardLeads) record.leads.emplace_back(lead);
  record.num_samples = lead_major ? shape[1] : shape[0];
  if (lead_major) {
    record.samples = std::move(array.data);
  } else {
    record.samples.resize(array.data.size());
    const int64_t n = record.num_samples;
    for (int64_t t = 0; t < n; ++t) {
      for (int l = 0; l < ecg::kNumStandardLeads; ++l) {
        const size_t from = static_cast<size_t>(t * ecg::kNumStandardLeads + l);
        record.samples[static_cast<size_t>(l * n + t)] = array.data[from];
      }
    }
  }
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  return record;
}

absl::StatusOr<ecg::Record> ReadCode15Row(const std::string& path, const std::string& file, const std::string& row) {
  int64_t index = -1;
  if (!absl::SimpleAtoi(row, &index) || index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ROW must be a non-negative integer"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<ecg::Code15File> h5, ecg::Code15File::Open(file));
  if (index >= h5->num_exams()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": row ", index, " is out of range (the file holds ", h5->num_exams(), " exams)"));
  }
  return h5->ReadExam(index);
}

absl::StatusOr<ecg::Record> ReadAnyRecord(const std::string& path, const ChatEcgOptions& options) {
  const size_t hash = path.rfind('#');
  if (hash != std::string::npos) {
    const std::string file = path.substr(0, hash);
    const std::string ext = absl::AsciiStrToLower(fs::path(file).extension().string());
    if (ext == ".hdf5" || ext == ".h5") return ReadCode15Row(path, file, path.substr(hash + 1));
  }
  const std::string ext = absl::AsciiStrToLower(fs::path(path).extension().string());
  if (ext == ".npy") return ReadNpyEcg(path, options.npy_rate_hz);
  if (ext == ".hdf5" || ext == ".h5") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": a CODE-15 file needs the exam's row: ", path, "#ROW"));
  }
  if (ext == ".hea" || ext.empty()) return ecg::ReadWfdbRecord(path);
  if (ext == ".dat" || ext == ".mat") {
    // The header sits next to the signal file under the same stem.
    return ecg::ReadWfdbRecord((fs::path(path).parent_path() / fs::path(path).stem()).string());
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": unknown ECG file type '", ext, "' (", kExpected, ")"));
}

bool HasStandardLeads(const ecg::Record& record) {
  bool seen[ecg::kNumStandardLeads] = {};
  for (const std::string& lead : record.leads) {
    const int index = ecg::StandardLeadIndex(lead);
    if (index >= 0) seen[index] = true;
  }
  return std::all_of(std::begin(seen), std::end(seen), [](bool s) { return s; });
}

}  // namespace

absl::StatusOr<ChatEcg> LoadChatEcg(const std::string& path, const ChatEcgOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("--ecg: no path given (", kExpected, ")"));
  if (options.segment_len <= 0 || !(options.target_rate_hz > 0) || !(options.npy_rate_hz > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": segment length ", options.segment_len, ", rate ",
                                                   options.target_rate_hz, " Hz and .npy rate ", options.npy_rate_hz,
                                                   " Hz must be positive"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(ecg::Record record, ReadAnyRecord(path, options));
  if (!HasStandardLeads(record)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the ELM needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6); the record has ",
        record.num_leads(), " (", absl::StrJoin(record.leads, ", "), ")"));
  }
  ECGBENCH_RETURN_IF_ERROR(ecg::HarmonizeLeads(record));
  ChatEcg out;
  out.path = path;
  out.id = record.id;
  out.input_rate_hz = record.sampling_rate_hz;
  out.input_samples = record.num_samples;
  ecg::RecordConditioner conditioner;
  ecg::ConditionOptions steps;
  steps.target_rate_hz = options.target_rate_hz;
  ECGBENCH_ASSIGN_OR_RETURN(const ecg::NonFiniteScan scan, conditioner.Condition(record, steps));

  ecg::SegmentOptions segment;
  segment.length = options.segment_len;
  segment.quality.nan_policy = ecg::NanPolicy::kSkip;
  std::vector<float> samples;
  std::vector<ecg::SegmentMeta> meta;
  ecg::SegmenterCounts counts;
  ECGBENCH_ASSIGN_OR_RETURN(const int64_t kept,
                            ecg::SegmentRecordInto(record, {}, segment, &samples, &meta, &counts, scan.spans));
  if (kept == 0) {
    if (record.num_samples < options.segment_len) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": the record has ", record.num_samples, " samples per lead at ", options.target_rate_hz,
          " Hz, fewer than the ELM's segment of ", options.segment_len, " samples (",
          static_cast<double>(options.segment_len) / options.target_rate_hz, " s)"));
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable segment of ", options.segment_len,
                                                   " samples: every one holds NaN/Inf values (", scan.values,
                                                   " non-finite values in the record)"));
  }
  const size_t size = static_cast<size_t>(ecg::kNumStandardLeads * options.segment_len);
  samples.resize(size);  // the first kept segment
  out.segment = std::move(samples);
  out.length = options.segment_len;
  out.rate_hz = options.target_rate_hz;
  return out;
}

absl::Status WriteChatEcgPng(const ChatEcg& ecg, const std::string& png_path) {
  common::repr::EcgRenderer renderer(common::repr::DefaultEcgPlotOptions(common::repr::EcgLayout::k2x6));
  common::repr::RgbImage image;
  absl::Status rendered = renderer.Render(ecg.segment.data(), ecg::kNumStandardLeads, ecg.length, ecg.rate_hz, &image);
  if (!rendered.ok()) return absl::Status(rendered.code(), absl::StrCat(ecg.path, ": ", rendered.message()));
  const std::string parent = fs::path(png_path).parent_path().string();
  if (!parent.empty()) ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(parent));
  return common::repr::WritePng(image, png_path);
}

}  // namespace ecgbench::worker::chat
