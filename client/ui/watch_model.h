// WatchModel: what the CLI knows about one experiment while watching it: the snapshot from
// GetExperiment, updated by WatchExperiment events (state changes, progress, metrics). Views render
// from it. Not thread-safe: owned by the thread that applies events and renders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client {

// The metric shown next to progress bars.
inline constexpr char kLossMetric[] = "loss";

bool IsTerminal(v1::State state);

class WatchModel {
 public:
  WatchModel() = default;
  WatchModel(const WatchModel&) = delete;
  WatchModel& operator=(const WatchModel&) = delete;

  // Replaces structure and states with `snapshot`. Keeps last_seq, metrics and rate samples; a task
  // whose snapshot has no progress keeps the progress seen in events.
  void Reset(const v1::Experiment& snapshot);

  // Applies one event; events with seq <= last_seq() are ignored. Returns false when the event names
  // a run, stage or task that the snapshot lacks (the caller should Reset with a fresh snapshot).
  bool Apply(const v1::Event& event);

  const v1::Experiment& experiment() const { return experiment_; }
  int64_t last_seq() const { return last_seq_; }
  bool terminal() const { return IsTerminal(experiment_.state()); }

  const v1::Run* FindRun(const std::string& id) const;
  const v1::Task* FindTask(const std::string& id) const;

  // Seconds left for a task: progress.eta_seconds when > 0, 0 when done >= total, else
  // (total - done) / rate with the rate
  // observed between the first and the latest progress event of the task (event times); -1 when
  // unknown (no total, fewer than two samples, or no progress between them).
  double TaskEta(const v1::Task& task) const;

  // Latest value of kLossMetric reported for a task, or for any task of a run.
  std::optional<double> TaskLoss(const std::string& task_id) const;
  std::optional<double> RunLoss(const std::string& run_id) const;

  // Tasks succeeded and total, counted over the tree (the experiment's counters when it has no tasks).
  int TasksDone() const;
  int TasksTotal() const;

  // Human names for lines: "experiment exp-1", "run 0 (fold=1)", "run 0 (fold=1) / train",
  // "run 0 (fold=1) / train / shard 1/2". Unknown ids are shown as "<entity> <id>".
  std::string Label(const std::string& entity, const std::string& id) const;

 private:
  struct TaskRef {
    v1::Task* task = nullptr;
    const v1::Run* run = nullptr;
    const v1::Stage* stage = nullptr;
  };
  struct RateSample {
    int64_t first_ms = 0;
    int64_t first_done = 0;
    int64_t last_ms = 0;
    int64_t last_done = 0;
  };
  void Index();

  v1::Experiment experiment_;
  int64_t last_seq_ = 0;
  // Pointers into experiment_ (stable: repeated message fields hold their elements on the heap).
  absl::flat_hash_map<std::string, v1::Run*> runs_;
  absl::flat_hash_map<std::string, std::pair<v1::Stage*, const v1::Run*>> stages_;
  absl::flat_hash_map<std::string, TaskRef> tasks_;
  absl::flat_hash_map<std::string, v1::Progress> event_progress_;
  absl::flat_hash_map<std::string, RateSample> rates_;
  absl::flat_hash_map<std::string, double> task_loss_;
  absl::flat_hash_map<std::string, double> run_loss_;
};

}  // namespace ecgbench::client
