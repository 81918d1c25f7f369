// `ecgbench report ID -o DIR [--compare wilcoxon|paired_bootstrap|none] [--seed N]
//  [--bootstrap-resamples N] [--no-curves]`: writes results.md, results.csv, results.json and the PNG
// plots (common/report/report.h) for an experiment. The final metrics come from GetResults; the
// loss curves from the experiment's event stream replayed from the start (metric points named
// "...loss" of rank 0): for a finished experiment the stream ends by itself, for one still
// running the report takes the points sent until the stream has been quiet for a moment.
#include <chrono>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "client/commands/commands.h"
#include "client/commands/event_stream.h"
#include "client/commands/exit_codes.h"
#include "client/ui/tables.h"
#include "common/report/report.h"

namespace ecgbench::client {

namespace {

constexpr int kQuietMs = 1500;            // a running experiment: stop after this long without events
constexpr int kReconnectTimeoutMs = 10000;

struct ReportOptions {
  std::string id;
  std::string dir;
  std::string compare = "wilcoxon";
  uint64_t seed = 0;
  int resamples = 10000;
  bool no_curves = false;
};

// Loss curves of rank 0 per (run, metric), points in step order (a later point for the same step,
// e.g. after a retried attempt, replaces the earlier one).
absl::StatusOr<std::vector<common::report::Curve>> ReadCurves(CoordinatorClient& client, const std::string& id) {
  std::map<std::pair<std::string, std::string>, std::map<int64_t, double>> points;
  EventStream stream(&client, id, /*after_seq=*/0, kReconnectTimeoutMs);
  auto last = std::chrono::steady_clock::now();
  while (true) {
    EventStream::Item item;
    if (!stream.Next(&item, 100)) {
      if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(kQuietMs)) break;
      continue;
    }
    last = std::chrono::steady_clock::now();
    if (item.kind == EventStream::Item::kDone) {
      if (!item.status.ok()) return item.status;
      break;
    }
    if (item.kind != EventStream::Item::kEvent || !item.event.has_metric()) continue;
    const v1::MetricPoint& p = item.event.metric();
    if (p.rank() != 0 || !absl::EndsWith(p.name(), "loss")) continue;
    points[{p.run_id(), p.name()}][p.step()] = p.value();
  }
  std::vector<common::report::Curve> curves;
  for (const auto& [key, by_step] : points) {
    common::report::Curve c;
    c.run_id = key.first;
    c.metric = key.second;
    for (const auto& [step, value] : by_step) c.points.push_back({step, value});
    curves.push_back(std::move(c));
  }
  return curves;
}

int RunReport(CommandContext& ctx, const ReportOptions& o) {
  auto results = ctx.client().GetResults(o.id);
  if (!results.ok()) return ctx.Fail(results.status());
  common::report::ExperimentResults data = ToReportResults(*results);
  auto experiment = ctx.client().GetExperiment(o.id);
  if (!experiment.ok()) return ctx.Fail(experiment.status());
  data.name = experiment->name();
  if (!o.no_curves) {
    auto curves = ReadCurves(ctx.client(), o.id);
    if (!curves.ok()) return ctx.Fail(curves.status());
    data.curves = std::move(*curves);
  }
  common::report::ReportOptions options;
  options.summary.compare = o.compare;
  options.summary.bootstrap.seed = o.seed;
  options.summary.bootstrap.resamples = o.resamples;
  auto files = common::report::WriteReport(data, o.dir, options);
  if (!files.ok()) return ctx.Fail(files.status());
  for (const std::string& f : *files) ctx.out() << f << "\n";
  ctx.out() << std::flush;
  return kExitOk;
}

}  // namespace

void AddReportCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write an experiment's report: results.md, results.csv, results.json and PNG plots");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  cmd->add_option("-o,--output", o->dir, "Folder to write (created when missing)")->required();
  cmd->add_option("--compare", o->compare, "Paired test between variants")
      ->check(CLI::IsMember({"wilcoxon", "paired_bootstrap", "none"}));
  cmd->add_option("--seed", o->seed, "Seed of the paired bootstrap");
  cmd->add_option("--bootstrap-resamples", o->resamples, "Resamples of the paired bootstrap")
      ->check(CLI::Range(1, 10000000));
  cmd->add_flag("--no-curves", o->no_curves, "Skip the loss curves (no event stream is read)");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunReport(ctx, *o); }; });
}

}  // namespace ecgbench::client
