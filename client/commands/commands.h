// The CLI's command groups. Each Add*Commands function adds its subcommands (with --help) to `app`;
// when the command line selects one, its action is stored in *action, and RunCli runs it after
// parsing (so parse errors never half-run a command). Actions return the process exit code
// (client/commands/exit_codes.h). ctx and action must outlive app.
#pragma once

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "client/commands/context.h"

namespace ecgbench::client {

using Action = std::function<int()>;

void AddSubmitCommands(CLI::App& app, CommandContext& ctx, Action* action);       // submit
void AddExperimentCommands(CLI::App& app, CommandContext& ctx, Action* action);   // list, status, cancel
void AddWatchCommands(CLI::App& app, CommandContext& ctx, Action* action);        // watch
void AddLogsCommands(CLI::App& app, CommandContext& ctx, Action* action);         // logs
void AddResultsCommands(CLI::App& app, CommandContext& ctx, Action* action);      // results
void AddReportCommands(CLI::App& app, CommandContext& ctx, Action* action);       // report (md/csv/json + PNG plots)
void AddWorkersCommands(CLI::App& app, CommandContext& ctx, Action* action);      // workers
void AddHealthCommands(CLI::App& app, CommandContext& ctx, Action* action);       // health (gRPC health check)
void AddRunCommands(CLI::App& app, CommandContext& ctx, Action* action);          // run (embedded)
void AddTokenizerCommands(CLI::App& app, CommandContext& ctx, Action* action);    // tokenizer (ECG-Byte)
void AddEcgCommands(CLI::App& app, CommandContext& ctx, Action* action);          // ecg plot
void AddTextCommands(CLI::App& app, CommandContext& ctx, Action* action);         // text encode|decode (LLM tokenizers)
void AddScoreCommands(CLI::App& app, CommandContext& ctx, Action* action);        // score (metrics of a predictions file)
void AddChatCommands(CLI::App& app, CommandContext& ctx, Action* action);         // chat (execs ecgbench-worker chat)

// Watches `id` through `client` until it is terminal (progress bars on a terminal, plain lines
// otherwise, JSON lines with json), prints the final summary and returns the exit code of the final
// state; 130 after Ctrl-C (the experiment keeps running).
int WatchToEnd(CommandContext& ctx, CoordinatorClient& client, const std::string& id, bool json);

}  // namespace ecgbench::client
