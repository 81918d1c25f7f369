// Shared machinery of the synthetic data-set layouts (internal to common/ecg/synth): the plan
// (which class each record has, which patient it belongs to, per-record seeds), per-record
// synthesis with random noise, CSV field quoting, dates, the frontal-plane axes machines report,
// and the ECG-QA collector.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/synth/dataset_writer.h"
#include "common/ecg/synth/ecgqa.h"
#include "common/ecg/synth/rng.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg::synth_internal {

struct PatientPlan {
  int age = 60;
  bool male = true;
  int fold = 1;            // 1..10
  double height_cm = 0;    // 0 = unknown
  double weight_kg = 0;    // 0 = unknown
  int64_t first_day = 0;   // days after the layout's epoch of the first recording
};

struct RecordEntry {
  EcgClass ecg_class = EcgClass::kSinusRhythm;
  int patient = 0;         // index into DatasetPlan::patients
  int visit = 0;           // 0-based order of this record among its patient's records
  uint64_t seed = 0;       // the record's own generator seed
  bool short_exam = false; // CODE-15 7 s exam
};

struct DatasetPlan {
  std::vector<PatientPlan> patients;
  std::vector<RecordEntry> records;  // in catalog (id) order
  Rng rng{0};                        // for layout-level draws (ids, dates), after planning
};

// REQUIRES: options validated (records >= 1, classes valid).
DatasetPlan PlanDataset(const SynthDatasetOptions& options);

// `count` distinct integers in [lo, hi), in random order. REQUIRES: hi - lo >= 2 * count.
std::vector<int64_t> DistinctIds(Rng& rng, int count, int64_t lo, int64_t hi);

struct Synthesized {
  Record record;
  SynthMeta meta;
  Rng text_rng{0};  // for report variants and questions, independent of the signal draws
};
// Generates `entry` at fs Hz for duration_s, with random per-record noise (mains at mains_hz)
// when options.noise. With low_rate_fs > 0 also fills *low_rate: the same heart (same plan and
// wander) sampled at low_rate_fs without mains interference, as a low-pass-filtered copy would be.
Synthesized Synthesize(const RecordEntry& entry, const SynthDatasetOptions& options, double fs, double duration_s,
                       double mains_hz, double low_rate_fs = 0, Record* low_rate = nullptr);

// RFC 4180: the field quoted (with doubled quotes) when it holds a comma, quote, CR or LF.
std::string CsvField(std::string_view field);
// Appends one CSV line (fields joined by commas, each through CsvField, "\n" at the end).
void AppendCsvRow(std::string& csv, const std::vector<std::string>& fields);

// "YYYY-MM-DD HH:MM:SS" for `seconds` after 00:00:00 on 1 January of `epoch_year`.
std::string DateTime(int epoch_year, int64_t seconds);

// Frontal-plane axes (degrees, -180..180, from the net areas of leads I and aVF) of the P, QRS and
// T waves of the conducted beats; p is 29999 (MIMIC's "no value") when there are no P waves.
struct Axes {
  int p = 29999, qrs = 0, t = 0;
};
Axes FrontalAxes(const Record& record, const SynthMeta& meta);

// Collects ECG-QA samples and writes OUT/ecgqa/<variant>/template/<split>/<first id>.json.
class QaCollector {
 public:
  // `seed`: of the draw that balances the verify and choose questions of each split.
  explicit QaCollector(uint64_t seed) : seed_(seed) {}

  // Adds the candidate questions of one record; the split follows the patient's fold (1-8 train,
  // 9 valid, 10 test, as PTB-XL recommends).
  void Add(const SynthMeta& meta, Rng& rng, int fold, int64_t ecg_id, const std::string& ecg_path);
  // Balances each split (BalanceQuestions: about two verify and one choose question per record)
  // and writes it.
  absl::Status Write(const std::string& out_dir, const std::string& variant) const;

 private:
  struct Candidate {
    QaQuestion question;
    int64_t ecg_id = 0;
    std::string ecg_path;
  };
  uint64_t seed_;
  std::array<std::vector<Candidate>, 3> splits_;  // train, valid, test
  std::array<int, 3> records_ = {0, 0, 0};
};

// The layouts (layout_ptbxl.cc, layout_code15.cc, layout_mimic.cc). REQUIRES: validated options;
// out_dir exists.
absl::Status WritePtbxlLayout(const SynthDatasetOptions& options, DatasetPlan& plan,
                              std::vector<SynthRecordTruth>* truth);
absl::Status WriteCode15Layout(const SynthDatasetOptions& options, DatasetPlan& plan,
                               std::vector<SynthRecordTruth>* truth);
absl::Status WriteMimicLayout(const SynthDatasetOptions& options, DatasetPlan& plan,
                              std::vector<SynthRecordTruth>* truth);

}  // namespace ecgbench::common::ecg::synth_internal
