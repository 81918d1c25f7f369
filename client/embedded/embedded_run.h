// `ecgbench run SPEC`: the embedded default. Starts a LocalCluster (coordinator + N workers on
// loopback, state under --state-dir), submits the spec, watches it with progress bars, prints the
// compact evaluation view (client/ui/eval_table.h; the `results` table when the experiment has no
// score.* or train.* results), writes the report (as `ecgbench report -o`) to
// <state-dir>/reports/<experiment id>/, stops the children, prints where the state and the report
// are (the report's path and files are the last lines) and exits by the final state; a report that
// cannot be written is an error message on stderr that leaves the exit code as it is. Ctrl-C cancels the experiment,
// keeps watching until it is terminal (at most 30 s; a second Ctrl-C stops at once), stops the
// children cleanly and exits 130; the state stays in the directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/commands/context.h"

namespace ecgbench::client {

struct EmbeddedRunOptions {
  std::string spec;
  int workers = 2;
  std::string state_dir = ".ecgbench";
  bool keep_running = false;  // after the experiment ends, serve until Ctrl-C
  bool plain = false;         // plain lines even on a terminal
  std::string bin_dir;        // where ecgbench-coordinator/-worker are (default: next to ecgbench)
  // --data-root: passed to the local coordinator and workers; empty: spec paths are not confined.
  std::vector<std::string> data_roots;
};

int RunEmbedded(CommandContext& ctx, const EmbeddedRunOptions& options);

// Request id for an embedded submission: "run-" + 16 hex digits of a 64-bit FNV-1a hash of the spec
// text and the time, so that a retried RPC of one run never makes a second experiment.
std::string EmbeddedRequestId(const std::string& spec_text, int64_t time_ns);

// The last lines of `ecgbench run`: "report written to <dir>:" and one line per file, indented by
// two spaces, with its path relative to `dir` (files outside `dir` as they are); the per-metric
// plots (metric_*.png) are counted on one last line instead.
std::string ReportFilesText(const std::string& dir, const std::vector<std::string>& files);

// Cores per local worker: max(1, cores / workers).
int CpusPerWorker(int cores, int workers);

}  // namespace ecgbench::client
