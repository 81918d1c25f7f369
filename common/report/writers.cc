// results.csv / results.json / results.md (see writers.h).
#include "common/report/writers.h"

#include <charconv>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::report {

namespace {

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

std::string MdCell(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\n", " "}});
}

void MdRow(std::string* out, const std::vector<std::string>& cells) {
  absl::StrAppend(out, "|");
  for (const auto& c : cells) absl::StrAppend(out, " ", MdCell(c), " |");
  absl::StrAppend(out, "\n");
}

void MdHeader(std::string* out, const std::vector<std::string>& cells, const std::vector<bool>& right) {
  MdRow(out, cells);
  absl::StrAppend(out, "|");
  for (size_t i = 0; i < cells.size(); ++i) absl::StrAppend(out, i < right.size() && right[i] ? " ---: |" : " --- |");
  absl::StrAppend(out, "\n");
}

// Variant keys in first-seen order across runs.
std::vector<std::string> VariantKeys(const ExperimentResults& results) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const RunRow& run : results.runs) {
    for (const auto& [key, value] : run.variant) {
      if (seen.insert(key).second) keys.push_back(key);
    }
  }
  return keys;
}

std::vector<std::string> MetricNames(const ExperimentResults& results) {
  std::set<std::string> names;
  for (const RunRow& run : results.runs) {
    for (const auto& [name, value] : run.metrics) names.insert(name);
  }
  return {names.begin(), names.end()};
}

nlohmann::json StatsJson(const eval::FoldStats& s) {
  return {{"n", s.n}, {"mean", s.mean}, {"std", s.std}, {"ci_low", s.ci_low}, {"ci_high", s.ci_high}};
}

std::string CiText(const eval::FoldStats& s, double scale) {
  if (!s.has_interval()) return "-";
  return absl::StrCat("[", DisplayNumber(s.ci_low, scale), ", ", DisplayNumber(s.ci_high, scale), "]");
}

}  // namespace

std::string ExactNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string DisplayNumber(double v, double scale) {
  if (std::isnan(v)) return "-";
  if (scale == 100 || std::fabs(v) >= 1) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.4g", v);
}

std::string DisplayPValue(double p) {
  if (std::isnan(p)) return "-";
  if (p < 1e-4) return "<0.0001";
  if (p >= 1) return "1";
  return absl::StrFormat("%.4f", p);
}

std::string ResultsCsv(const ExperimentResults& results) {
  const std::vector<std::string> keys = VariantKeys(results), metrics = MetricNames(results);
  std::vector<std::string> header = {"run", "run_id", "state"};
  header.insert(header.end(), keys.begin(), keys.end());
  header.insert(header.end(), metrics.begin(), metrics.end());
  std::string out;
  for (size_t i = 0; i < header.size(); ++i) absl::StrAppend(&out, i ? "," : "", CsvCell(header[i]));
  absl::StrAppend(&out, "\n");
  for (const RunRow& run : results.runs) {
    std::vector<std::string> row = {run.display_name(), run.id, run.state};
    for (const std::string& key : keys) {
      std::string value;
      for (const auto& [k, v] : run.variant) {
        if (k == key) value = v;
      }
      row.push_back(value);
    }
    for (const std::string& m : metrics) {
      auto it = run.metrics.find(m);
      row.push_back(it == run.metrics.end() ? "" : ExactNumber(it->second));
    }
    for (size_t i = 0; i < row.size(); ++i) absl::StrAppend(&out, i ? "," : "", CsvCell(row[i]));
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string ResultsJson(const ExperimentResults& results, const Summary& summary,
                        const std::vector<AblationMatrix>& ablation) {
  nlohmann::json j;
  j["experiment"] = {{"id", results.experiment_id}, {"name", results.name}, {"state", results.state}};
  j["runs"] = nlohmann::json::array();
  for (const RunRow& run : results.runs) {
    nlohmann::json variant = nlohmann::json::object();
    for (const auto& [k, v] : run.variant) variant[k] = v;
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [k, v] : run.metrics) metrics[k] = v;
    j["runs"].push_back({{"id", run.id}, {"name", run.name}, {"state", run.state}, {"variant", variant},
                         {"metrics", metrics}});
  }
  j["statistics"] = nlohmann::json::array();
  for (const MetricStats& s : summary.stats) {
    nlohmann::json e = StatsJson(s.stats);
    e["metric"] = s.metric;
    e["variant"] = summary.groups[s.group].name;
    e["scale"] = s.scale;
    j["statistics"].push_back(std::move(e));
  }
  j["comparisons"] = nlohmann::json::array();
  for (const Comparison& c : summary.comparisons) {
    nlohmann::json e = {{"metric", c.metric}, {"a", summary.groups[c.a].name}, {"b", summary.groups[c.b].name},
                        {"pairs", c.n}, {"mean_diff", c.mean_diff}, {"method", c.method}};
    e["p_value"] = c.note.empty() ? nlohmann::json(c.p_value) : nlohmann::json(nullptr);
    if (!c.note.empty()) e["note"] = c.note;
    j["comparisons"].push_back(std::move(e));
  }
  j["ablation"] = nlohmann::json::array();
  for (const AblationMatrix& m : ablation) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t r = 0; r < m.train_conditions.size(); ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (size_t c = 0; c < m.infer_conditions.size(); ++c) {
        const auto& cell = m.cell(r, c);
        row.push_back(cell ? StatsJson(*cell) : nlohmann::json(nullptr));
      }
      rows.push_back(std::move(row));
    }
    j["ablation"].push_back({{"metric", m.metric}, {"variant", m.variant}, {"train_conditions", m.train_conditions},
                             {"infer_conditions", m.infer_conditions}, {"cells", rows}});
  }
  return j.dump(2) + "\n";
}

std::string ResultsMarkdown(const ExperimentResults& results, const Summary& summary,
                            const std::vector<AblationMatrix>& ablation, const std::vector<PlotFile>& plots) {
  std::string out = absl::StrCat("# Results: ", results.name.empty() ? results.experiment_id : results.name, "\n\n");
  absl::StrAppend(&out, "Experiment `", results.experiment_id, "`, state ", results.state, ", ",
                  results.runs.size(), results.runs.size() == 1 ? " run" : " runs", ".\n\n## Runs\n\n");
  const std::vector<std::string> metrics = MetricNames(results);
  if (results.runs.empty()) {
    absl::StrAppend(&out, "(no runs)\n");
  } else {
    std::vector<std::string> header = {"run", "state"};
    std::vector<bool> right = {false, false};
    for (const auto& m : metrics) header.push_back(m), right.push_back(true);
    MdHeader(&out, header, right);
    for (const RunRow& run : results.runs) {
      std::vector<std::string> row = {run.display_name(), run.state};
      for (const auto& m : metrics) {
        auto it = run.metrics.find(m);
        row.push_back(it == run.metrics.end() ? "-" : DisplayNumber(it->second * MetricScale(m), MetricScale(m)));
      }
      MdRow(&out, row);
    }
    absl::StrAppend(&out, "\nEvaluation metrics (`score.*` except the counts n, n_empty) are shown x100.\n");
  }
  if (!summary.stats.empty()) {
    absl::StrAppend(&out, "\n## Statistics across folds and seeds\n\nMean, sample standard deviation and the 95 % "
                          "Student-t interval over the runs of each variant (evaluation metrics x100).\n\n");
    MdHeader(&out, {"metric", "variant", "n", "mean", "std", "95% CI"}, {false, false, true, true, true, false});
    for (const MetricStats& s : summary.stats) {
      MdRow(&out, {s.metric, summary.groups[s.group].name, absl::StrCat(s.stats.n), DisplayNumber(s.stats.mean, s.scale),
                   DisplayNumber(s.stats.std, s.scale), CiText(s.stats, s.scale)});
    }
  }
  if (!summary.comparisons.empty()) {
    absl::StrAppend(&out, "\n## Paired comparisons\n\n",
                    summary.comparisons[0].method == "wilcoxon"
                        ? "Wilcoxon signed-rank test (two-sided, as scipy.stats.wilcoxon) over the folds/seeds both "
                          "variants ran.\n\n"
                        : "Paired bootstrap (two-sided) over the folds/seeds both variants ran.\n\n");
    MdHeader(&out, {"metric", "A", "B", "pairs", "mean A - B", "p"}, {false, false, false, true, true, true});
    for (const Comparison& c : summary.comparisons) {
      MdRow(&out, {c.metric, summary.groups[c.a].name, summary.groups[c.b].name, absl::StrCat(c.n),
                   DisplayNumber(c.mean_diff, MetricScale(c.metric)), c.note.empty() ? DisplayPValue(c.p_value) : c.note});
    }
  }
  for (const AblationMatrix& m : ablation) {
    absl::StrAppend(&out, "\n## Signal ablation: ", m.metric, m.variant.empty() ? "" : absl::StrCat(", ", m.variant),
                    " (x100)\n\nRows: training condition; columns: "
                          "inference condition; mean ± 95 % half-width (n).\n\n");
    std::vector<std::string> header = {"train \\ inference"};
    std::vector<bool> right = {false};
    for (const auto& c : m.infer_conditions) header.push_back(c), right.push_back(true);
    MdHeader(&out, header, right);
    for (size_t r = 0; r < m.train_conditions.size(); ++r) {
      std::vector<std::string> row = {m.train_conditions[r]};
      for (size_t c = 0; c < m.infer_conditions.size(); ++c) {
        const auto& cell = m.cell(r, c);
        if (!cell) {
          row.push_back("-");
          continue;
        }
        std::string text = DisplayNumber(cell->mean, 100);
        if (cell->has_interval()) absl::StrAppend(&text, " ± ", DisplayNumber(cell->half_width(), 100));
        row.push_back(absl::StrCat(text, " (", cell->n, ")"));
      }
      MdRow(&out, row);
    }
  }
  if (!plots.empty()) {
    absl::StrAppend(&out, "\n## Plots\n\n");
    for (const PlotFile& p : plots) absl::StrAppend(&out, "![", p.caption, "](", p.file, ")\n\n");
  }
  return out;
}

}  // namespace ecgbench::common::report
