// `ecgbench results ID [--format table|csv|json]`.
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/tables.h"

namespace ecgbench::client {

namespace {

struct ResultsOptions {
  std::string id;
  std::string format = "table";
  bool json = false;
};

int RunResults(CommandContext& ctx, const ResultsOptions& o) {
  auto results = ctx.client().GetResults(o.id);
  if (!results.ok()) return ctx.Fail(results.status());
  ResultsFormat format = ResultsFormat::kTable;
  if (o.json || o.format == "json") format = ResultsFormat::kJson;
  else if (o.format == "csv") format = ResultsFormat::kCsv;
  ctx.out() << RenderResults(*results, format) << std::flush;
  return kExitOk;
}

}  // namespace

void AddResultsCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ResultsOptions>();
  CLI::App* cmd = app.add_subcommand("results", "Print an experiment's results: one row per run, one column per metric");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_flag("--json", o->json, "Same as --format json");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunResults(ctx, *o); }; });
}

}  // namespace ecgbench::client
