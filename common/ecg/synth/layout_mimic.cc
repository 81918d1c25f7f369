// The MIMIC-IV-ECG layout: record_list.csv + machine_measurements.csv +
// files/pNNNN/pSSSSSSSS/sTTTTTTTT/TTTTTTTT WFDB records (leads in MIMIC's order, aVF before aVL),
// and the ECG-QA "mimic-iv-ecg" questions (see dataset_writer.h).
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/formats/wfdb_writer.h"
#include "common/ecg/synth/dataset_plan.h"
#include "common/ecg/synth/reports.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg::synth_internal {
namespace {

// MIMIC-IV-ECG's order: I, II, III, aVR, aVF, aVL, V1..V6 (standard indices 0 1 2 3 5 4 6..11).
constexpr int kMimicOrder[12] = {0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 10, 11};
const std::vector<std::string> kMimicLeads = {"I", "II", "III", "aVR", "aVF", "aVL",
                                              "V1", "V2", "V3", "V4", "V5", "V6"};
constexpr int kReportColumns = 18;
constexpr int kMissing = 29999;  // MIMIC's value for a measurement the machine could not make

Record ToMimicOrder(const Record& r) {
  Record out = r;
  out.leads = kMimicLeads;
  for (int l = 0; l < 12; ++l) {
    const float* src = r.lead(kMimicOrder[l]);
    std::copy(src, src + r.num_samples, out.lead(l));
  }
  return out;
}

}  // namespace

absl::Status WriteMimicLayout(const SynthDatasetOptions& options, DatasetPlan& plan,
                              std::vector<SynthRecordTruth>* truth) {
  const int n = static_cast<int>(plan.records.size());
  const std::vector<int64_t> subject_ids =
      DistinctIds(plan.rng, static_cast<int>(plan.patients.size()), 10000000, 20000000);
  const std::vector<int64_t> study_ids = DistinctIds(plan.rng, n, 40000000, 60000000);
  std::string records_csv, measurements_csv;
  AppendCsvRow(records_csv, {"subject_id", "study_id", "file_name", "ecg_time", "path"});
  std::vector<std::string> header = {"subject_id", "study_id", "cart_id", "ecg_time"};
  for (int k = 0; k < kReportColumns; ++k) header.push_back(absl::StrCat("report_", k));
  for (const char* c : {"bandwidth", "filtering", "rr_interval", "p_onset", "p_end", "qrs_onset", "qrs_end", "t_end",
                        "p_axis", "qrs_axis", "t_axis"}) {
    header.push_back(c);
  }
  AppendCsvRow(measurements_csv, header);
  WfdbWriteOptions wfdb;
  wfdb.format = 16;
  wfdb.gain = 200;
  wfdb.write_comments = false;
  QaCollector qa(Rng::DeriveSeed(options.seed, 2));
  for (int i = 0; i < n; ++i) {
    const RecordEntry& e = plan.records[i];
    const PatientPlan& p = plan.patients[e.patient];
    const int64_t subject = subject_ids[e.patient];
    const int64_t study = study_ids[i];
    const std::string subject_str = absl::StrCat(subject);
    const std::string study_str = absl::StrCat(study);
    const std::string dir_rel = absl::StrCat("files/p", subject_str.substr(0, 4), "/p", subject_str, "/s", study_str);
    const std::string path = absl::StrCat(dir_rel, "/", study_str);
    ECGBENCH_RETURN_IF_ERROR(MakeDirs(absl::StrCat(options.out_dir, "/", dir_rel)));
    Synthesized s = Synthesize(e, options, 500, 10, 60);
    Record mimic = ToMimicOrder(s.record);
    mimic.id = study_str;
    ECGBENCH_RETURN_IF_ERROR(WriteWfdbRecord(mimic, absl::StrCat(options.out_dir, "/", dir_rel), study_str, wfdb));

    // MIMIC's dates are shifted into 2110-2210.
    const int64_t seconds = (p.first_day + 120 * e.visit) * 86400 + plan.rng.UniformInt(0, 86399);
    const std::string time = DateTime(2110 + p.age % 80, seconds);
    AppendCsvRow(records_csv, {subject_str, study_str, study_str, time, path});
    std::vector<std::string> row = {subject_str, study_str, absl::StrCat(plan.rng.UniformInt(6000, 8999)), time};
    const std::vector<std::string> statements = MimicStatements(s.meta, s.text_rng);
    for (int k = 0; k < kReportColumns; ++k) row.push_back(k < static_cast<int>(statements.size()) ? statements[k] : "");
    const bool has_p = !std::isnan(s.meta.pr_ms);
    const int qrs_on = has_p ? 40 + static_cast<int>(std::lround(s.meta.pr_ms)) : 200;
    const Axes axes = FrontalAxes(s.record, s.meta);
    row.push_back("0.005-150 Hz");
    row.push_back("60 Hz notch Baseline filter");
    row.push_back(absl::StrCat(std::lround(60000.0 / s.meta.heart_rate_bpm)));
    row.push_back(absl::StrCat(has_p ? 40 : kMissing));
    row.push_back(absl::StrCat(has_p ? 140 : kMissing));
    row.push_back(absl::StrCat(qrs_on));
    row.push_back(absl::StrCat(qrs_on + std::lround(s.meta.qrs_ms)));
    row.push_back(absl::StrCat(qrs_on + std::lround(s.meta.qt_ms)));
    row.push_back(absl::StrCat(axes.p));
    row.push_back(absl::StrCat(axes.qrs));
    row.push_back(absl::StrCat(axes.t));
    AppendCsvRow(measurements_csv, row);
    if (options.write_ecgqa) qa.Add(s.meta, s.text_rng, p.fold, study, path);
    if (truth != nullptr) truth->push_back({study_str, subject_str, path, -1, p.fold, s.meta});
  }
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(options.out_dir + "/record_list.csv", records_csv));
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(options.out_dir + "/machine_measurements.csv", measurements_csv));
  if (options.write_ecgqa) ECGBENCH_RETURN_IF_ERROR(qa.Write(options.out_dir, "mimic-iv-ecg"));
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg::synth_internal
