// Dataset dispatch from a RecordRef to the right reader, and the metadata fill-in.
#include "common/ecg/formats/record_reader.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ecg/formats/npy.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

constexpr size_t kMaxOpen = 4;

const std::string* Label(const RecordRef& ref, const char* key) {
  const auto it = ref.labels.find(key);
  return it == ref.labels.end() ? nullptr : &it->second;
}

bool IsTrue(const std::string& v) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
  return s == "true" || s == "1" || s == "1.0";
}

void SetAge(const std::string* text, Record& r) {
  double age = 0;
  if (text != nullptr && absl::SimpleAtod(*text, &age) && std::isfinite(age) && age >= 0 && age < 150) {
    r.age = static_cast<int>(std::lround(age));
  }
}

void FillMetadata(const RecordRef& ref, std::string_view dataset, Record& r) {
  if (!ref.id.empty()) r.id = ref.id;
  r.patient_id = ref.patient_id;
  if (!ref.report.empty()) r.report = ref.report;
  r.source = std::string(dataset);
  for (const auto& [key, value] : ref.labels) r.extra.emplace(key, value);
  if (dataset == "ptbxl") {
    if (const std::string* scp = Label(ref, "scp_codes")) {
      absl::StatusOr<std::vector<std::pair<std::string, double>>> codes = ParseScpCodes(*scp);
      if (codes.ok()) {
        r.dx_codes.clear();
        for (const auto& [code, likelihood] : *codes) r.dx_codes.push_back(code);
      }
    }
    SetAge(Label(ref, "age"), r);
    if (const std::string* sex = Label(ref, "sex")) {
      if (*sex == "0") r.sex = "M";
      if (*sex == "1") r.sex = "F";
    }
  } else if (dataset == "code15") {
    for (const char* c : {"1dAVb", "RBBB", "LBBB", "SB", "ST", "AF"}) {
      if (const std::string* v = Label(ref, c); v != nullptr && IsTrue(*v)) r.dx_codes.emplace_back(c);
    }
    SetAge(Label(ref, "age"), r);
    if (const std::string* male = Label(ref, "is_male")) r.sex = IsTrue(*male) ? "M" : "F";
  }
}

}  // namespace

RecordReader::RecordReader(std::string dataset, RecordReaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {}

absl::StatusOr<std::shared_ptr<Code15File>> RecordReader::OpenCode15(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (const auto it = open_.find(path); it != open_.end()) return it->second;
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<Code15File> file, Code15File::Open(path));
  if (open_.size() >= kMaxOpen) open_.erase(open_.begin());
  std::shared_ptr<Code15File> shared = std::move(file);
  open_.emplace(path, shared);
  return shared;
}

absl::StatusOr<Record> RecordReader::Read(const RecordRef& ref) {
  if (ref.paths.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(dataset_, " record '", ref.id, "': no path"));
  }
  const std::string& path = ref.paths[0];
  Record r;
  if (dataset_ == "code15") {
    ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<Code15File> file, OpenCode15(path));
    ECGBENCH_ASSIGN_OR_RETURN(r, file->ReadExam(ref.row, options_.code15_view));
  } else if (dataset_ == "npy") {
    double rate = 0;
    const std::string* text = Label(ref, "sampling_rate_hz");
    if (text == nullptr || !absl::SimpleAtod(*text, &rate)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": label sampling_rate_hz missing or not a number"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(r, ReadNpyRecord(path, rate));
  } else if (dataset_ == "ptbxl" || dataset_ == "mimic" || dataset_ == "cpsc" || dataset_ == "csn" ||
             dataset_ == "wfdb") {
    WfdbReadOptions wo;
    wo.verify_checksums = options_.verify_checksums;
    ECGBENCH_ASSIGN_OR_RETURN(r, ReadWfdbRecord(path, wo));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown dataset '", dataset_, "' (known: ptbxl, mimic, code15, cpsc, csn, wfdb, npy)"));
  }
  FillMetadata(ref, dataset_, r);
  return r;
}

absl::StatusOr<Record> ReadRecord(const RecordRef& ref, std::string_view dataset) {
  RecordReader reader{std::string(dataset)};
  return reader.Read(ref);
}

}  // namespace ecgbench::common::ecg
