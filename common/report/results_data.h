// The experiment results a report is made from, free of the wire protocol: one row per run (its
// matrix variant, state and final metrics, named "<stage key>.<metric>" by the coordinator) and
// the metric curves reported during training (e.g. "train/loss" per step). The CLI fills these
// from GetResults and the experiment's event stream (client/commands/report.cc). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ecgbench::common::report {

struct RunRow {
  std::string id;
  std::string name;   // "representation=signal,fold=1"; may be empty (then id is shown)
  std::string state;  // "succeeded", "failed", ... as the CLI names states
  std::vector<std::pair<std::string, std::string>> variant;  // matrix key -> value label, in axis order
  std::map<std::string, double> metrics;                     // final values, by name

  const std::string& display_name() const { return name.empty() ? id : name; }
};

struct CurvePoint {
  int64_t step = 0;
  double value = 0;
};

// One metric's values over steps for one run (rank 0), in step order.
struct Curve {
  std::string run_id;
  std::string metric;  // e.g. "train/loss", "pretrain/loss"
  std::vector<CurvePoint> points;
};

struct ExperimentResults {
  std::string experiment_id;
  std::string name;
  std::string state;
  std::vector<RunRow> runs;   // in matrix order
  std::vector<Curve> curves;  // any order
};

}  // namespace ecgbench::common::report
