// `ecgbench run SPEC [--workers N] [--state-dir DIR] [--keep-running] [--data-root DIR]...`: see
// client/embedded/.
#include <memory>

#include "client/commands/commands.h"
#include "client/embedded/embedded_run.h"

namespace ecgbench::client {

void AddRunCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<EmbeddedRunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a spec on this machine: a local coordinator and workers on 127.0.0.1, progress, results");
  cmd->add_option("SPEC", o->spec, "Experiment spec file (YAML)")->required();
  cmd->add_option("--workers,-n", o->workers, "Local worker processes")->check(CLI::Range(1, 256));
  cmd->add_option("--state-dir", o->state_dir, "Directory for the coordinator database, port files and logs");
  cmd->add_flag("--keep-running", o->keep_running,
                "Keep the coordinator and workers serving after the experiment ends, until Ctrl-C");
  cmd->add_flag("--plain", o->plain, "Plain lines even on a terminal");
  cmd->add_option("--bin-dir", o->bin_dir,
                  "Where ecgbench-coordinator and ecgbench-worker are (default: next to ecgbench, then PATH)");
  cmd->add_option("--data-root", o->data_roots,
                  "Confine the paths in the spec to this folder (repeatable; relative paths are taken under the "
                  "first). Default: not confined")
      ->envname("ECGBENCH_DATA_ROOTS")
      ->delimiter(':')
      ->allow_extra_args(false);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunEmbedded(ctx, *o); }; });
}

}  // namespace ecgbench::client
