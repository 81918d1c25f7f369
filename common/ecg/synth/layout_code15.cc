// The CODE-15% layout: exams.csv + exams_part0.hdf5 (400 Hz, 4096 samples, zero-padded), and the
// ECG-QA "code15" questions (see dataset_writer.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/synth/dataset_plan.h"
#include "common/ecg/synth/reports.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg::synth_internal {
namespace {

const char* Bool(bool b) { return b ? "True" : "False"; }

}  // namespace

absl::Status WriteCode15Layout(const SynthDatasetOptions& options, DatasetPlan& plan,
                               std::vector<SynthRecordTruth>* truth) {
  const int n = static_cast<int>(plan.records.size());
  static constexpr const char* kTraceFile = "exams_part0.hdf5";
  const std::vector<int64_t> exam_ids = DistinctIds(plan.rng, n, 100000, std::max<int64_t>(4000000, 4 * n));
  const std::vector<int64_t> patient_ids =
      DistinctIds(plan.rng, static_cast<int>(plan.patients.size()), 1, std::max<int64_t>(1000000, 4 * n));
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<Code15Writer> hdf5,
                            Code15Writer::Create(absl::StrCat(options.out_dir, "/", kTraceFile), n, kCode15Samples));
  std::string csv;
  AppendCsvRow(csv, {"exam_id", "age", "is_male", "nn_predicted_age", "1dAVb", "RBBB", "LBBB", "SB", "ST", "AF",
                     "patient_id", "normal_ecg", "trace_file"});
  QaCollector qa(Rng::DeriveSeed(options.seed, 2));
  for (int i = 0; i < n; ++i) {
    const RecordEntry& e = plan.records[i];
    const PatientPlan& p = plan.patients[e.patient];
    // CODE-15 keeps 10 s exams (4000 samples) and 7 s ones (2800), padded to 4096.
    Synthesized s = Synthesize(e, options, kCode15RateHz, e.short_exam ? 7.0 : 10.0, 60);
    s.record.id = absl::StrCat(exam_ids[i]);
    ECGBENCH_RETURN_IF_ERROR(hdf5->WriteExam(i, exam_ids[i], s.record));
    const Code15Labels l = Code15LabelsFor(s.meta);
    const double predicted_age = p.age + 7.0 * plan.rng.Normal();
    AppendCsvRow(csv, {absl::StrCat(exam_ids[i]), absl::StrCat(p.age), Bool(p.male),
                       absl::StrFormat("%.6f", predicted_age), Bool(l.avb1), Bool(l.rbbb), Bool(l.lbbb), Bool(l.sb),
                       Bool(l.st), Bool(l.af), absl::StrCat(patient_ids[e.patient]), Bool(l.normal), kTraceFile});
    // Upstream ECG-Bench names CODE-15 records by their exam id.
    if (options.write_ecgqa) qa.Add(s.meta, s.text_rng, p.fold, exam_ids[i], absl::StrCat(exam_ids[i]));
    if (truth != nullptr) {
      truth->push_back({absl::StrCat(exam_ids[i]), absl::StrCat(patient_ids[e.patient]), kTraceFile, i, p.fold, s.meta});
    }
  }
  ECGBENCH_RETURN_IF_ERROR(hdf5->Finish());
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(options.out_dir + "/exams.csv", csv));
  if (options.write_ecgqa) ECGBENCH_RETURN_IF_ERROR(qa.Write(options.out_dir, "code15"));
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg::synth_internal
