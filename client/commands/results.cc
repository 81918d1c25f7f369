// `ecgbench results ID [--format table|csv|json] [--compare wilcoxon|paired_bootstrap|none]`: one row
// per run; in table form followed by the statistics across folds/seeds and the paired comparisons
// between variants when the matrix repeats variants over folds or seeds (client/ui/tables.h).
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/tables.h"

namespace ecgbench::client {

namespace {

struct ResultsOptions {
  std::string id;
  std::string format = "table";
  std::string compare = "wilcoxon";
  bool json = false;
};

int RunResults(CommandContext& ctx, const ResultsOptions& o) {
  auto results = ctx.client().GetResults(o.id);
  if (!results.ok()) return ctx.Fail(results.status());
  ResultsFormat format = ResultsFormat::kTable;
  if (o.json || o.format == "json") format = ResultsFormat::kJson;
  else if (o.format == "csv") format = ResultsFormat::kCsv;
  ctx.out() << RenderResults(*results, format, o.compare) << std::flush;
  return kExitOk;
}

}  // namespace

void AddResultsCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ResultsOptions>();
  CLI::App* cmd = app.add_subcommand("results", "Print an experiment's results: one row per run, one column per metric");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_flag("--json", o->json, "Same as --format json");
  cmd->add_option("--compare", o->compare, "Paired test between variants over the same folds/seeds (table only)")
      ->check(CLI::IsMember({"wilcoxon", "paired_bootstrap", "none"}));
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunResults(ctx, *o); }; });
}

}  // namespace ecgbench::client
