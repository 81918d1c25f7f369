// `ecgbench data`: the command group of the local data tools; each subcommand lives in its own
// data_*.cc file.
#include "client/commands/data.h"

namespace ecgbench::client {

void AddDataCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* data = app.add_subcommand("data", "Local data tools (no coordinator): synth, convert, inspect, preprocess, export");
  data->require_subcommand(1);
  AddDataSynthCommand(*data, ctx, action);
  AddDataConvertCommand(*data, ctx, action);
  AddDataInspectCommand(*data, ctx, action);
  AddDataPreprocessCommand(*data, ctx, action);
  AddDataExportCommand(*data, ctx, action);
}

}  // namespace ecgbench::client
