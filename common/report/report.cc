// The report folder (see report.h).
#include "common/report/report.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/report/ablation.h"
#include "common/report/writers.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::report {

std::string FileSlug(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> WriteReport(const ExperimentResults& results, const std::string& dir,
                                                     const ReportOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(const Summary summary, Summarize(results, options.summary));
  const std::vector<AblationMatrix> ablation = BuildAblationMatrices(results);
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  std::vector<PlotFile> plots;
  std::set<std::string> used;
  auto file_for = [&](const std::string& prefix, const std::string& name) {
    std::string base = absl::StrCat(prefix, FileSlug(name));
    std::string file = base + ".png";
    for (int i = 2; !used.insert(file).second; ++i) file = absl::StrCat(base, "_", i, ".png");
    return file;
  };
  for (const std::string& metric : summary.metrics) {
    if (!IsKeyMetric(metric)) continue;
    const std::string file = file_for("metric_", metric);
    ECGBENCH_RETURN_IF_ERROR(PlotMetricByVariant(summary, metric, dir + "/" + file, options.plot));
    plots.push_back({file, absl::StrCat(metric, " by variant (95% CI)")});
  }
  for (const AblationMatrix& m : ablation) {
    const std::string file = file_for("ablation_", m.variant.empty() ? m.metric : absl::StrCat(m.metric, "_", m.variant));
    ECGBENCH_RETURN_IF_ERROR(PlotAblationHeatmap(m, dir + "/" + file, options.plot));
    plots.push_back({file, absl::StrCat(m.metric, m.variant.empty() ? "" : absl::StrCat(" (", m.variant, ")"),
                                        ": training x inference condition")});
  }
  std::map<std::string, std::vector<Curve>> curves;
  for (const Curve& c : results.curves) {
    if (!c.points.empty()) curves[c.metric].push_back(c);
  }
  std::map<std::string, std::string> run_names;
  for (const RunRow& run : results.runs) run_names[run.id] = run.display_name();
  for (const auto& [metric, list] : curves) {
    const std::string file = file_for("curves_", metric);
    absl::Status st = PlotCurves(list, run_names, dir + "/" + file, options.plot);
    if (absl::IsInvalidArgument(st)) continue;  // only non-finite points: nothing to draw
    ECGBENCH_RETURN_IF_ERROR(st);
    plots.push_back({file, absl::StrCat(metric, " per run")});
  }
  std::vector<std::string> written = {dir + "/results.md", dir + "/results.csv", dir + "/results.json"};
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(written[0], ResultsMarkdown(results, summary, ablation, plots)));
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(written[1], ResultsCsv(results)));
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(written[2], ResultsJson(results, summary, ablation)));
  for (const PlotFile& p : plots) written.push_back(dir + "/" + p.file);
  return written;
}

}  // namespace ecgbench::common::report
