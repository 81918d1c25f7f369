// Internal to `ecgbench data inspect` (data_inspect.cc registers the command and inspects records;
// data_inspect_store.cc inspects segment stores and CODE-15 HDF5 files). Each function prints a
// text report (or one JSON document when json is set) on ctx.out() and returns the exit code.
#pragma once

#include "client/commands/context.h"
#include "client/commands/data_common.h"

namespace ecgbench::client::data {

// A segment store directory: manifest summary; `verify` also recomputes every checksum.
int InspectSegmentStore(CommandContext& ctx, const InputSpec& in, bool verify, bool json);

// A CODE-15 HDF5 file without a row: exam count, samples per exam, the first exam ids.
int InspectCode15File(CommandContext& ctx, const InputSpec& in, bool json);

}  // namespace ecgbench::client::data
