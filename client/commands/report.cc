// `ecgbench report ID -o DIR [--compare wilcoxon|paired_bootstrap|none] [--seed N]
//  [--bootstrap-resamples N] [--no-curves]`: writes results.md, results.csv, results.json and the PNG
// plots (common/report/report.h) for an experiment. The final metrics come from GetResults; the
// loss curves from the experiment's event stream replayed from the start (metric points named
// "...loss" of rank 0; client/commands/experiment_digest.h): for a finished experiment the stream
// ends by itself, for one still running the report takes the points sent until the stream has been
// quiet for a moment.
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/commands/experiment_digest.h"
#include "common/report/report.h"

namespace ecgbench::client {

namespace {

struct ReportOptions {
  std::string id;
  std::string dir;
  std::string compare = "wilcoxon";
  uint64_t seed = 0;
  int resamples = 10000;
  bool no_curves = false;
};

int RunReport(CommandContext& ctx, const ReportOptions& o) {
  auto digest = ReadExperimentDigest(ctx.client(), o.id, /*read_events=*/!o.no_curves);
  if (!digest.ok()) return ctx.Fail(digest.status());
  common::report::ReportOptions options;
  options.summary.compare = o.compare;
  options.summary.bootstrap.seed = o.seed;
  options.summary.bootstrap.resamples = o.resamples;
  auto files = common::report::WriteReport(digest->results, o.dir, options);
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
