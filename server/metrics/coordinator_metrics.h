// CoordinatorMetrics: the coordinator's Prometheus exposition. Gauges of experiments, runs and tasks
// by state, queue depth, workers, GPUs and CPUs are read from the Manager at scrape time; the
// scheduling-latency histogram, attempt outcomes and gRPC request counters are updated as things
// happen. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/experiments/manager_listener.h"

namespace ecgbench::server {

class CoordinatorMetrics : public ManagerListener {
 public:
  // `gauges` is called at each scrape (without any lock held by the caller).
  explicit CoordinatorMetrics(std::function<ManagerGauges()> gauges);
  ~CoordinatorMetrics() override;

  // Serves /metrics on `address` (host:port; port 0 picks a free port). Returns the bound port.
  absl::StatusOr<int> Serve(const std::string& address);

  void OnTaskPlaced(const std::string& stage_kind, int64_t latency_ms) override;
  void OnAttemptEnded(const std::string& stage_kind, const std::string& outcome) override;
  void OnGrpcRequest(const std::string& method, const std::string& code, double seconds);

  // The exposition text (what /metrics returns), for tests.
  std::string Serialize() const;

 private:
  class StateCollector;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<StateCollector> state_collector_;
  prometheus::Family<prometheus::Histogram>* scheduling_latency_;
  prometheus::Family<prometheus::Counter>* attempts_;
  prometheus::Family<prometheus::Counter>* grpc_requests_;
  prometheus::Family<prometheus::Histogram>* grpc_seconds_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace ecgbench::server
