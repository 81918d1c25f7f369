// Writes a synthetic ECG data set in the real on-disk layout of PTB-XL, CODE-15% or MIMIC-IV-ECG,
// with an ECG-QA-format question set next to it (`ecgbench data synth`).
//
//   ptbxl   OUT/ptbxl_database.csv (PTB-XL's 28 columns; patients with 1-3 records; strat_fold
//           1-10 per patient), OUT/records500/NN000/NNNNN_hr.{hea,dat} (format 16, 500 Hz, 5000
//           samples, gain 1000 adu/mV, leads I II III AVR AVL AVF V1..V6) and, when
//           write_low_rate, OUT/records100/NN000/NNNNN_lr.{hea,dat} (100 Hz, 1000 samples).
//   code15  OUT/exams.csv (exam_id, age, is_male, nn_predicted_age, 1dAVb, RBBB, LBBB, SB, ST, AF,
//           patient_id, normal_ecg, trace_file) + OUT/exams_part0.hdf5 (`tracings` [N x 4096 x 12]
//           float32 at 400 Hz, 10 s or 7 s exams zero-padded symmetrically, `exam_id`).
//   mimic   OUT/record_list.csv + OUT/machine_measurements.csv (report_0..report_17 machine
//           statements, intervals, axes) + OUT/files/pNNNN/pSSSSSSSS/sTTTTTTTT/TTTTTTTT.{hea,dat}
//           (format 16, 500 Hz, 5000 samples, leads I II III aVR aVF aVL V1..V6 as in MIMIC).
//   all     OUT/ecgqa/{ptbxl|mimic-iv-ecg|code15}/template/{train,valid,test}/NNNNN.json and
//           answers_for_each_template.csv (split by patient fold: 1-8 train, 9 valid, 10 test).
//
// Classes are balanced (records % classes spread at random) and shuffled before ids are given,
// so no label can be read from ids, file names or order: ids are sequential (PTB-XL ecg_id) or
// random (patient ids, exam ids, subject/study ids). Labels appear only in label columns
// (report, scp_codes, label flags, machine statements) and in the ECG-QA answers.
// Deterministic: the same options give byte-identical files.
// Errors: InvalidArgument naming the option for bad options; file errors name the path.
// Thread-compatible (one call writes one directory; do not write the same directory concurrently).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/synth/ecg_class.h"
#include "common/ecg/synth/generator.h"

namespace ecgbench::common::ecg {

enum class SynthLayout { kPtbxl, kCode15, kMimic };

// "ptbxl", "code15", "mimic".
std::string_view SynthLayoutName(SynthLayout layout);
// InvalidArgument "unknown layout 'x' (expected ptbxl, code15 or mimic)".
absl::StatusOr<SynthLayout> ParseSynthLayout(std::string_view text);

struct SynthDatasetOptions {
  SynthLayout layout = SynthLayout::kPtbxl;
  // Created if missing. Files this run writes replace earlier ones; the catalog lists only this
  // run's records (signal files of an earlier, larger run are left in place but unlisted) and
  // earlier ECG-QA question files are removed.
  std::string out_dir;
  int records = 100;              // 1 .. 1000000
  uint64_t seed = 0;
  std::vector<EcgClass> classes;  // empty: all eight, balanced
  // Per-record noise drawn at random (white 0.004-0.02 mV, wander 0.02-0.15 mV, mains at the
  // layout's 50/60 Hz in 30 % of records, muscle noise in 20 %); false: no noise at all.
  bool noise = true;
  bool write_ecgqa = true;
  bool write_low_rate = true;     // ptbxl only: records100/..._lr
};

// Ground truth of one written record (in memory only; nothing of it is written except labels).
struct SynthRecordTruth {
  std::string record_id;   // "00001_hr" (ptbxl), exam_id (code15), study_id (mimic)
  std::string patient_id;  // as in the catalog ("15709" for ptbxl's "15709.0")
  std::string path;        // relative to out_dir, no extension; code15: "exams_part0.hdf5"
  int64_t row = -1;        // code15: the HDF5 row
  int strat_fold = 0;      // 1..10, per patient
  SynthMeta meta;
};

// Writes the data set. Fills *truth (one entry per record, in catalog order) when non-null.
absl::Status WriteSyntheticDataset(const SynthDatasetOptions& options, std::vector<SynthRecordTruth>* truth = nullptr);

}  // namespace ecgbench::common::ecg
