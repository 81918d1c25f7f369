// Prometheus metrics of the coordinator.
#include "server/metrics/coordinator_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"

namespace ecgbench::server {

namespace {
prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void AddGauge(prometheus::MetricFamily& f, double value, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
  return b;
}
}  // namespace

// Reads the Manager's gauges at scrape time, so the exposition is always consistent with its state.
class CoordinatorMetrics::StateCollector : public prometheus::Collectable {
 public:
  explicit StateCollector(std::function<ManagerGauges()> gauges) : gauges_(std::move(gauges)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    ManagerGauges g = gauges_();
    std::vector<prometheus::MetricFamily> out;
    auto by_state = [&](const std::string& name, const std::string& help, const std::map<std::string, int64_t>& m) {
      auto f = GaugeFamily(name, help);
      for (const auto& [state, n] : m) AddGauge(f, static_cast<double>(n), {{"state", state}});
      out.push_back(std::move(f));
    };
    by_state("ecgbench_experiments", "Experiments by state.", g.experiments_by_state);
    by_state("ecgbench_runs", "Runs by state.", g.runs_by_state);
    by_state("ecgbench_tasks", "Tasks by state.", g.tasks_by_state);
    auto single = [&](const std::string& name, const std::string& help, double v) {
      auto f = GaugeFamily(name, help);
      AddGauge(f, v);
      out.push_back(std::move(f));
    };
    single("ecgbench_queue_depth", "Tasks ready to run and waiting for resources.", static_cast<double>(g.queue_depth));
    single("ecgbench_workers_connected", "Workers holding a live lease.", static_cast<double>(g.workers_connected));
    single("ecgbench_gpus_capacity", "GPUs offered by connected workers (total).", static_cast<double>(g.gpus_total));
    single("ecgbench_gpus_allocated", "GPUs held by running task ranks.", static_cast<double>(g.gpus_allocated));
    single("ecgbench_cpus_capacity", "CPU cores offered by connected workers (total).", static_cast<double>(g.cpus_total));
    single("ecgbench_cpus_allocated", "CPU cores held by running task ranks.", static_cast<double>(g.cpus_allocated));
    single("ecgbench_coordinator_up", "1 while the coordinator serves and its last database commit succeeded, else 0.",
           g.store_ok ? 1.0 : 0.0);
    auto info = GaugeFamily("ecgbench_experiment_info",
                            "Constant 1 per experiment that is active or ended within the last 24 h.");
    auto results = GaugeFamily("ecgbench_evaluation_result",
                               "Final metrics of the evaluate and score stages of those experiments' runs.");
    for (const ManagerGauges::ExperimentGauge& e : g.experiments) {
      AddGauge(info, 1.0, {{"experiment", e.id}, {"name", e.name}, {"state", e.state}});
      for (const ManagerGauges::RunResultGauge& r : e.results) {
        AddGauge(results, r.value,
                 {{"experiment", e.id}, {"run", r.run_id}, {"run_name", r.run_name}, {"metric", r.metric}});
      }
    }
    out.push_back(std::move(info));
    out.push_back(std::move(results));
    return out;
  }

 private:
  std::function<ManagerGauges()> gauges_;
};

CoordinatorMetrics::CoordinatorMetrics(std::function<ManagerGauges()> gauges)
    : registry_(std::make_shared<prometheus::Registry>()),
      state_collector_(std::make_shared<StateCollector>(std::move(gauges))) {
  scheduling_latency_ = &prometheus::BuildHistogram()
                             .Name("ecgbench_scheduling_latency_seconds")
                             .Help("Time from a task becoming ready to its placement on workers.")
                             .Register(*registry_);
  attempts_ = &prometheus::BuildCounter()
                   .Name("ecgbench_task_attempts_total")
                   .Help("Task attempts that ended, by stage kind and outcome.")
                   .Register(*registry_);
  grpc_requests_ = &prometheus::BuildCounter()
                        .Name("ecgbench_grpc_requests_total")
                        .Help("gRPC requests handled, by method and status code.")
                        .Register(*registry_);
  grpc_seconds_ = &prometheus::BuildHistogram()
                       .Name("ecgbench_grpc_request_duration_seconds")
                       .Help("gRPC request handling time by method (streams and long-polls included).")
                       .Register(*registry_);
}

CoordinatorMetrics::~CoordinatorMetrics() = default;

absl::StatusOr<int> CoordinatorMetrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics-listen ", address, ": cannot serve /metrics: ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(state_collector_);
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void CoordinatorMetrics::OnTaskPlaced(const std::string& stage_kind, int64_t latency_ms) {
  scheduling_latency_->Add({{"stage_kind", stage_kind}}, LatencyBuckets()).Observe(latency_ms / 1000.0);
}

void CoordinatorMetrics::OnAttemptEnded(const std::string& stage_kind, const std::string& outcome) {
  attempts_->Add({{"stage_kind", stage_kind}, {"outcome", outcome}}).Increment();
}

void CoordinatorMetrics::OnGrpcRequest(const std::string& method, const std::string& code, double seconds) {
  grpc_requests_->Add({{"method", method}, {"code", code}}).Increment();
  grpc_seconds_->Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

std::string CoordinatorMetrics::Serialize() const {
  auto families = registry_->Collect();
  auto state = state_collector_->Collect();
  families.insert(families.end(), state.begin(), state.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace ecgbench::server
