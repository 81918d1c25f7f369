// ManagerListener: how the Manager tells the outside (Prometheus metrics) about scheduling
// decisions without depending on prometheus-cpp. Called with the Manager's lock held: implementations
// must be fast and must not call back into the Manager.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ecgbench::server {

struct ManagerGauges {
  std::map<std::string, int64_t> experiments_by_state;  // state name (e.g. "running") -> count
  std::map<std::string, int64_t> runs_by_state;
  std::map<std::string, int64_t> tasks_by_state;
  int64_t queue_depth = 0;       // tasks ready to run and waiting for resources
  int64_t workers_connected = 0; // active or draining
  int64_t gpus_total = 0;
  int64_t gpus_allocated = 0;
  int64_t cpus_total = 0;
  int64_t cpus_allocated = 0;
  bool store_ok = true;  // the last store commit succeeded

  // Experiments that are active or ended within kRecentWindowMs, with the final metrics of their
  // evaluate and score stages (what dashboards list and tabulate).
  static constexpr int64_t kRecentWindowMs = 24 * 3600 * 1000;
  struct RunResultGauge {
    std::string run_id;
    std::string run_name;
    std::string metric;  // "<stage key>.<metric>", as in GetResults
    double value = 0;
  };
  struct ExperimentGauge {
    std::string id;
    std::string name;
    std::string state;
    std::vector<RunResultGauge> results;
  };
  std::vector<ExperimentGauge> experiments;
};

class ManagerListener {
 public:
  virtual ~ManagerListener() = default;
  // A task was placed `latency_ms` after it became ready.
  virtual void OnTaskPlaced(const std::string& stage_kind, int64_t latency_ms) = 0;
  // An attempt ended ("succeeded", "failed", "cancelled", "preempted", "lease_expired").
  virtual void OnAttemptEnded(const std::string& stage_kind, const std::string& outcome) = 0;
};

}  // namespace ecgbench::server
