// `ecgbench workers`.
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/json.h"
#include "client/ui/tables.h"
#include "common/util/clock.h"

namespace ecgbench::client {

namespace {

struct WorkersOptions {
  bool all = false;
  bool json = false;
};

int RunWorkers(CommandContext& ctx, const WorkersOptions& o) {
  auto workers = ctx.client().ListWorkers(o.all);
  if (!workers.ok()) return ctx.Fail(workers.status());
  if (o.json) {
    ctx.out() << ToJson(*workers, /*pretty=*/true);
  } else if (workers->workers().empty()) {
    ctx.out() << "(no workers)\n";
  } else {
    ctx.out() << RenderTable(WorkersTable(*workers, common::RealClock::Get()->NowUnixMs()));
  }
  return kExitOk;
}

}  // namespace

void AddWorkersCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<WorkersOptions>();
  CLI::App* cmd = app.add_subcommand("workers", "List the workers known to the coordinator");
  cmd->add_flag("--all,-a", o->all, "Include workers that deregistered");
  cmd->add_flag("--json", o->json, "Print as JSON (one ListWorkersResponse)");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunWorkers(ctx, *o); }; });
}

}  // namespace ecgbench::client
