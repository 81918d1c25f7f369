// NullTaskContext: a TaskContext that records nothing, for tests of runners and the task boundary
// that never use the context beyond passing it along (tests only).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker::test_support {

class NullTaskContext final : public TaskContext {
 public:
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel, std::string_view) override {}
  void ReportProgress(int64_t, int64_t, std::string_view, std::string_view) override {}
  void ReportMetric(std::string_view, double, int64_t) override {}
  absl::Status KvSet(const std::string&, const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string&) override {
    return std::optional<std::string>();
  }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>&, absl::Duration) override {
    return std::vector<std::string>();
  }
  bool cancelled() const override { return false; }
  bool preempt_requested() const override { return false; }
  const std::string& work_dir() const override { return dir_; }

 private:
  v1::Assignment assignment_;
  std::string dir_;
};

}  // namespace ecgbench::worker::test_support
