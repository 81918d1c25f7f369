// `ecgbench run SPEC`: the embedded default. Starts a LocalCluster (coordinator + N workers on
// loopback, state under --state-dir), submits the spec, watches it with progress bars, prints the
// results table, stops the children and exits by the final state. Ctrl-C cancels the experiment,
// keeps watching until it is terminal (at most 30 s; a second Ctrl-C stops at once), stops the
// children cleanly and exits 130; the state stays in the directory.
#pragma once

#include <cstdint>
#include <string>

#include "client/commands/context.h"

namespace ecgbench::client {

struct EmbeddedRunOptions {
  std::string spec;
  int workers = 2;
  std::string state_dir = ".ecgbench";
  bool keep_running = false;  // after the experiment ends, serve until Ctrl-C
  bool plain = false;         // plain lines even on a terminal
  std::string bin_dir;        // where ecgbench-coordinator/-worker are (default: next to ecgbench)
};

int RunEmbedded(CommandContext& ctx, const EmbeddedRunOptions& options);

// Request id for an embedded submission: "run-" + 16 hex digits of a 64-bit FNV-1a hash of the spec
// text and the time, so that a retried RPC of one run never makes a second experiment.
std::string EmbeddedRequestId(const std::string& spec_text, int64_t time_ns);

// Cores per local worker: max(1, cores / workers).
int CpusPerWorker(int cores, int workers);

}  // namespace ecgbench::client
