// `ecgbench data ...`: the local data tools, which need no coordinator (docs/cli.md, "data"):
//   data synth       write a synthetic data set in a real layout (common/ecg/synth)
//   data convert     one record (WFDB, .mat + .hea, CODE-15 HDF5 row, .npy) -> .npy or WFDB,
//                    through the per-record steps of the preprocess pipeline
//   data inspect     a record's header and per-lead stats, a segment store's manifest, an HDF5 file
//   data preprocess  a base dataset's catalog -> a segment store (common/ecg/pipeline)
// Exit codes (client/commands/exit_codes.h): 0 success, 2 usage (a bad option, an input or output
// path of an unknown kind, .npy input without --input-rate), 6 invalid input (a missing, unreadable
// or malformed input file), 1 any other failure (e.g. writing the output), 130 preprocess interrupted.
#pragma once

#include "CLI/CLI.hpp"
#include "client/commands/commands.h"
#include "client/commands/context.h"

namespace ecgbench::client {

// Adds `data` and its subcommands to `app` (same contract as the Add*Commands in commands.h).
void AddDataCommands(CLI::App& app, CommandContext& ctx, Action* action);

// Registration of each subcommand under the `data` command (one per data_*.cc file).
void AddDataSynthCommand(CLI::App& data, CommandContext& ctx, Action* action);
void AddDataConvertCommand(CLI::App& data, CommandContext& ctx, Action* action);
void AddDataInspectCommand(CLI::App& data, CommandContext& ctx, Action* action);
void AddDataPreprocessCommand(CLI::App& data, CommandContext& ctx, Action* action);
void AddDataExportCommand(CLI::App& data, CommandContext& ctx, Action* action);

}  // namespace ecgbench::client
