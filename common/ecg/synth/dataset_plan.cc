// Plans, synthesis and helpers shared by the synthetic data-set layouts (see dataset_plan.h).
#include "common/ecg/synth/dataset_plan.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/ecg/synth/ecgqa.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg::synth_internal {

DatasetPlan PlanDataset(const SynthDatasetOptions& options) {
  DatasetPlan plan;
  Rng rng(Rng::DeriveSeed(options.seed, 0));
  const int n = options.records;
  std::vector<EcgClass> classes = options.classes;
  if (classes.empty()) classes.assign(kAllEcgClasses.begin(), kAllEcgClasses.end());

  // Patients with 1-3 records each; their records are spread over the catalog at random.
  std::vector<int> slots;
  while (static_cast<int>(slots.size()) < n) {
    const int remaining = n - static_cast<int>(slots.size());
    const int k = static_cast<int>(std::min<int64_t>(rng.UniformInt(1, 3), remaining));
    const int patient = static_cast<int>(plan.patients.size());
    PatientPlan p;
    p.age = static_cast<int>(rng.UniformInt(18, 89));
    p.male = rng.Bernoulli(0.52);
    const double h = rng.Normal();
    p.height_cm = rng.Bernoulli(0.4) ? std::round((p.male ? 176.0 : 164.0) + (p.male ? 7.0 : 6.0) * h) : 0;
    const double w = rng.Normal();
    p.weight_kg = rng.Bernoulli(0.5) ? std::round((p.male ? 82.0 : 68.0) + 12.0 * w) : 0;
    p.first_day = rng.UniformInt(0, 3650);
    plan.patients.push_back(p);
    for (int j = 0; j < k; ++j) slots.push_back(patient);
  }
  // Folds 1..10 round-robin over the patients in random order (every fold used once there are
  // ten patients).
  std::vector<int> order(plan.patients.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  rng.Shuffle(order);
  for (size_t i = 0; i < order.size(); ++i) plan.patients[order[i]].fold = static_cast<int>(i % 10) + 1;

  // Balanced classes, shuffled independently of the patient slots.
  std::vector<EcgClass> labels(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) labels[i] = classes[static_cast<size_t>(i) % classes.size()];
  rng.Shuffle(labels);
  rng.Shuffle(slots);
  std::vector<int> visits(plan.patients.size(), 0);
  plan.records.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    RecordEntry& e = plan.records[i];
    e.ecg_class = labels[i];
    e.patient = slots[i];
    e.visit = visits[slots[i]]++;
    e.seed = Rng::DeriveSeed(options.seed, 1000 + static_cast<uint64_t>(i));
    e.short_exam = rng.Bernoulli(0.2);
  }
  plan.rng = Rng(Rng::DeriveSeed(options.seed, 1));
  return plan;
}

std::vector<int64_t> DistinctIds(Rng& rng, int count, int64_t lo, int64_t hi) {
  std::set<int64_t> seen;
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(count));
  while (static_cast<int>(ids.size()) < count) {
    const int64_t v = rng.UniformInt(lo, hi - 1);
    if (seen.insert(v).second) ids.push_back(v);
  }
  return ids;
}

Synthesized Synthesize(const RecordEntry& entry, const SynthDatasetOptions& options, double fs, double duration_s,
                       double mains_hz, double low_rate_fs, Record* low_rate) {
  Rng rng(entry.seed);
  SynthOptions so;
  so.fs = fs;
  so.duration_s = duration_s;
  so.noise = NoiseOptions::None();
  // Noise levels are drawn whether or not they are used, so the signal draws that follow are the
  // same with and without noise.
  const double white = rng.Uniform(0.004, 0.02);
  const double wander = rng.Uniform(0.02, 0.15);
  const bool mains = rng.Bernoulli(0.3);
  const double mains_mv = rng.Uniform(0.005, 0.04);
  const bool muscle = rng.Bernoulli(0.2);
  const double muscle_mv = rng.Uniform(0.005, 0.03);
  if (options.noise) {
    so.noise.white_mv = white;
    so.noise.baseline_wander_mv = wander;
    so.noise.powerline_mv = mains ? mains_mv : 0;
    so.noise.powerline_hz = mains_hz;
    so.noise.muscle_mv = muscle ? muscle_mv : 0;
  }
  Synthesized out;
  out.text_rng = Rng(Rng::DeriveSeed(entry.seed, 1));
  if (low_rate != nullptr && low_rate_fs > 0) {
    Rng copy = rng;
    SynthOptions lo = so;
    lo.fs = low_rate_fs;
    lo.noise.powerline_mv = 0;
    *low_rate = Generate(entry.ecg_class, lo, copy);
  }
  out.record = Generate(entry.ecg_class, so, rng, &out.meta);
  return out;
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void AppendCsvRow(std::string& csv, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) csv += ',';
    csv += CsvField(fields[i]);
  }
  csv += '\n';
}

std::string DateTime(int epoch_year, int64_t seconds) {
  const absl::CivilSecond t = absl::CivilSecond(epoch_year, 1, 1, 0, 0, 0) + seconds;
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d", t.year(), t.month(), t.day(), t.hour(), t.minute(),
                         t.second());
}

Axes FrontalAxes(const Record& r, const SynthMeta& meta) {
  // Net areas of I and aVF over each wave's window, relative to the PR-segment baseline.
  double p_i = 0, p_f = 0, q_i = 0, q_f = 0, t_i = 0, t_f = 0;
  const double fs = r.sampling_rate_hz;
  const float* lead_i = r.lead(0);
  const float* avf = r.lead(5);
  const double pr = std::isnan(meta.pr_ms) ? 0 : meta.pr_ms / 1000;
  auto area = [&](const float* x, double base, double a, double b) {
    double s = 0;
    for (int64_t k = std::max<int64_t>(0, std::llround(a * fs)); k < std::min<int64_t>(r.num_samples, std::llround(b * fs)); ++k) {
      s += x[k] - base;
    }
    return s;
  };
  for (size_t k = 0; k < meta.qrs_onsets_s.size(); ++k) {
    if (meta.premature[k]) continue;
    const double on = meta.qrs_onsets_s[k];
    if (on - 0.4 < 0 || on + meta.qt_ms / 1000 > r.duration_s()) continue;
    const double base_i = area(lead_i, 0, on - 0.02, on) / std::max(1.0, std::round(0.02 * fs));
    const double base_f = area(avf, 0, on - 0.02, on) / std::max(1.0, std::round(0.02 * fs));
    if (pr > 0) {
      p_i += area(lead_i, base_i, on - pr, on - pr + 0.1);
      p_f += area(avf, base_f, on - pr, on - pr + 0.1);
    }
    q_i += area(lead_i, base_i, on, on + meta.qrs_ms / 1000);
    q_f += area(avf, base_f, on, on + meta.qrs_ms / 1000);
    t_i += area(lead_i, base_i, on + meta.qrs_ms / 1000, on + meta.qt_ms / 1000);
    t_f += area(avf, base_f, on + meta.qrs_ms / 1000, on + meta.qt_ms / 1000);
  }
  auto deg = [](double f, double i) { return static_cast<int>(std::lround(std::atan2(f, i) * 180.0 / M_PI)); };
  Axes axes;
  if (pr > 0) axes.p = deg(p_f, p_i);
  axes.qrs = deg(q_f, q_i);
  axes.t = deg(t_f, t_i);
  return axes;
}

void QaCollector::Add(const SynthMeta& meta, Rng& rng, int fold, int64_t ecg_id, const std::string& ecg_path) {
  const int split = fold <= 8 ? 0 : (fold == 9 ? 1 : 2);
  ++records_[split];
  for (QaQuestion& q : QuestionsFor(meta, rng)) splits_[split].push_back({std::move(q), ecg_id, ecg_path});
}

absl::Status QaCollector::Write(const std::string& out_dir, const std::string& variant) const {
  static constexpr const char* kSplits[] = {"train", "valid", "test"};
  const std::string root = absl::StrCat(out_dir, "/ecgqa/", variant);
  std::map<std::string, int> question_ids;  // by question text, numbered in order of first use
  Rng rng(seed_);
  int64_t next = 0;
  for (int s = 0; s < 3; ++s) {
    const std::string dir = absl::StrCat(root, "/template/", kSplits[s]);
    ECGBENCH_RETURN_IF_ERROR(MakeDirs(dir));
    // Question files of an earlier run (named by other first ids) would be read as part of this
    // one: remove them. Only .json files in this generator's own split folders are touched.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".json") std::filesystem::remove(entry.path(), ec);
    }
    if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot clear old question files: ", ec.message()));
    nlohmann::ordered_json samples = nlohmann::ordered_json::array();
    const int64_t first = next;
    std::vector<const QaQuestion*> questions;
    for (const Candidate& c : splits_[s]) questions.push_back(&c.question);
    // About one choose question per record: twelve ordered rhythm pairs, two answers each.
    const std::vector<bool> keep = BalanceQuestions(questions, (records_[s] + 23) / 24, rng);
    for (size_t i = 0; i < splits_[s].size(); ++i) {
      if (!keep[i]) continue;
      const Candidate& c = splits_[s][i];
      const auto [it, inserted] =
          question_ids.emplace(c.question.question, static_cast<int>(question_ids.size()));
      samples.push_back(QaSampleJson(c.question, it->second, next++, c.ecg_id, c.ecg_path));
    }
    ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(absl::StrFormat("%s/%05d.json", dir, first), samples.dump(4) + "\n"));
  }
  return WriteFileAtomic(root + "/answers_for_each_template.csv", AnswersForEachTemplateCsv());
}

}  // namespace ecgbench::common::ecg::synth_internal
