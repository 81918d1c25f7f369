// RecordingContext: a TaskContext for stage-runner tests that records logs, the last progress and
// the metrics, and can be told to report cancellation, or a preemption once a metric was reported
// N times; the KV store is inert (tests only).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker::test_support {

class RecordingContext final : public TaskContext {
 public:
  explicit RecordingContext(v1::Assignment a) : assignment_(std::move(a)) {}
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel, std::string_view m) override { logs.emplace_back(m); }
  void ReportProgress(int64_t done, int64_t total, std::string_view unit, std::string_view) override {
    last_done = done;
    last_total = total;
    last_unit = std::string(unit);
  }
  void ReportMetric(std::string_view name, double value, int64_t) override { metrics.emplace_back(name, value); }
  // The values reported under `name`, in order.
  std::vector<double> MetricValues(const std::string& name) const {
    std::vector<double> out;
    for (const auto& [n, v] : metrics) {
      if (n == name) out.push_back(v);
    }
    return out;
  }
  // preempt_requested() turns true once `name` has been reported `count` times.
  void RequestPreemptAfterMetrics(std::string name, size_t count) {
    preempt_metric_ = std::move(name);
    preempt_after_ = count;
  }
  absl::Status KvSet(const std::string&, const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string&) override { return std::optional<std::string>(); }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>&, absl::Duration) override {
    return std::vector<std::string>();
  }
  bool cancelled() const override { return cancel; }
  bool preempt_requested() const override {
    return !preempt_metric_.empty() && MetricValues(preempt_metric_).size() >= preempt_after_;
  }
  const std::string& work_dir() const override { return dir_; }

  std::vector<std::string> logs;
  std::vector<std::pair<std::string, double>> metrics;
  int64_t last_done = -1, last_total = -1;
  std::string last_unit;
  bool cancel = false;

 private:
  v1::Assignment assignment_;
  std::string dir_;
  std::string preempt_metric_;
  size_t preempt_after_ = 0;
};

}  // namespace ecgbench::worker::test_support
