// `ecgbench watch ID`, and the watch-to-the-end used by `submit --wait`.
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/commands/interrupt.h"
#include "client/commands/watcher.h"

namespace ecgbench::client {

namespace {

struct WatchOptions {
  std::string id;
  bool json = false;
  bool plain = false;
};

int WatchWithSettings(CommandContext& ctx, CoordinatorClient& client, const std::string& id, bool json, bool plain) {
  InstallInterruptHandlers();
  WatchSettings settings;
  settings.json = json;
  settings.tty = !json && !plain && ctx.terminal().is_tty;
  settings.terminal = ctx.terminal_source();
  Watcher watcher(&client, id, settings, &ctx.out());
  auto outcome = watcher.Run();
  if (!outcome.ok()) return ctx.Fail(outcome.status());
  if (outcome->interrupted) {
    ctx.err() << "ecgbench: interrupted; experiment " << id << " keeps running (stop it with: ecgbench cancel " << id
              << ")\n";
    return kExitInterrupted;
  }
  if (!json) ctx.out() << FinalSummary(watcher.model()) << std::flush;
  return ExitCodeForState(outcome->state);
}

}  // namespace

int WatchToEnd(CommandContext& ctx, CoordinatorClient& client, const std::string& id, bool json) {
  return WatchWithSettings(ctx, client, id, json, /*plain=*/false);
}

void AddWatchCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<WatchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "Follow an experiment until it ends: progress bars on a terminal, plain lines otherwise");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  cmd->add_flag("--json", o->json, "Print each event as one JSON document per line");
  cmd->add_flag("--plain", o->plain, "Plain lines even on a terminal");
  cmd->callback([&ctx, action, o] {
    *action = [&ctx, o] { return WatchWithSettings(ctx, ctx.client(), o->id, o->json, o->plain); };
  });
}

}  // namespace ecgbench::client
