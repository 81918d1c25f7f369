// What `ecgbench report`, `ecgbench results --eval` and the end of `ecgbench run` read from the
// coordinator about one experiment: its results (GetResults), its name (GetExperiment) and, from
// its event stream replayed from the start, the loss curves of rank 0 and the wall time of each
// run's train stage. Also where an embedded run writes its report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/commands/coordinator_client.h"
#include "client/ui/eval_table.h"
#include "common/report/results_data.h"
#include "ecgbench/v1/coordinator.pb.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client {

// Folds events into curves and train-stage times. Not thread-safe; one per replay.
class EventDigest {
 public:
  // `experiment` (with its runs and stages) tells which run and stage kind a stage id belongs to.
  explicit EventDigest(const v1::Experiment& experiment);

  // Metric points named "...loss" of rank 0 become curve points (a later point for the same run,
  // metric and step replaces the earlier one). A state change of a "train" stage: its first RUNNING
  // starts the clock, each terminal state (SUCCEEDED, FAILED, CANCELLED) sets the end.
  void Add(const v1::Event& event);

  // Curves by (run id, metric), points in step order.
  std::vector<common::report::Curve> Curves() const;
  // (end - start) / 1000 per run whose train stage started and ended (end >= start).
  TrainSeconds TrainTimes() const;

 private:
  std::map<std::string, std::pair<std::string, std::string>> stages_;  // stage id -> (run id, kind)
  std::map<std::pair<std::string, std::string>, std::map<int64_t, double>> points_;
  std::map<std::string, std::pair<int64_t, int64_t>> train_ms_;  // run id -> (start, end); 0: unset
};

struct ExperimentDigest {
  v1::GetResultsResponse reply;               // as GetResults answered
  common::report::ExperimentResults results;  // runs, name, state; curves when events were read
  TrainSeconds train_seconds;                 // empty when events were not read
};

// GetResults + GetExperiment, and with read_events the event stream replayed from seq 0: for a
// finished experiment the stream ends by itself, for one still running the replay stops once the
// stream has been quiet for quiet_ms. Errors: the calls' and the stream's statuses.
absl::StatusOr<ExperimentDigest> ReadExperimentDigest(CoordinatorClient& client, const std::string& id,
                                                      bool read_events, int quiet_ms = 1500);

// `<state_dir>/reports/<experiment_id>`: where `ecgbench run` writes its report.
std::string EmbeddedReportDir(const std::string& state_dir, const std::string& experiment_id);

}  // namespace ecgbench::client
