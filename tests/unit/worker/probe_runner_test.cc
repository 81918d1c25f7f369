// Probe stage: three ranks on three threads with fake contexts sharing an in-memory KV; params,
// results, environment report, burn-in, cancel and preemption, and a rank sending a wrong value.
#include "worker/stages/probe_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/util/json.h"
#include "worker/compat/torch_compat.h"

namespace ecgbench::worker {
namespace {

// The rendezvous store shared by the ranks of one attempt.
class MemoryKv {
 public:
  void Set(const std::string& key, const std::string& value) {
    absl::MutexLock lock(&mu_);
    values_[key] = value;
  }
  std::optional<std::string> Get(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>& keys,
                                               absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto all_set = [&] {
      for (const auto& key : keys) {
        if (values_.count(key) == 0) return false;
      }
      return true;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_set), timeout)) {
      return absl::DeadlineExceededError("keys not set");
    }
    std::vector<std::string> out;
    for (const auto& key : keys) out.push_back(values_[key]);
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> values_;
};

class FakeContext final : public TaskContext {
 public:
  FakeContext(MemoryKv* kv, int rank, int world, const std::string& params)
      : kv_(kv) {
    assignment_.set_attempt_id("att-1");
    assignment_.set_stage_kind("probe");
    assignment_.set_rank(rank);
    assignment_.set_world_size(world);
    assignment_.set_params_json(params);
  }

  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel level, std::string_view message) override {
    absl::MutexLock lock(&mu_);
    logs.emplace_back(level, std::string(message));
  }
  void ReportProgress(int64_t done, int64_t total, std::string_view unit,
                      std::string_view) override {
    absl::MutexLock lock(&mu_);
    progress.push_back({done, total, std::string(unit)});
  }
  void ReportMetric(std::string_view name, double value, int64_t step) override {
    absl::MutexLock lock(&mu_);
    metrics.push_back({std::string(name), value, step});
  }
  absl::Status KvSet(const std::string& key, const std::string& value) override {
    std::string v = value;
    if (corrupt_value && key.rfind("probe/", 0) == 0 && key.find("final") == std::string::npos) {
      v = "7";
    }
    kv_->Set(key, v);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string& key) override {
    return kv_->Get(key);
  }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>& keys,
                                                 absl::Duration timeout) override {
    ++kv_waits;
    return kv_->Wait(keys, timeout);
  }
  bool cancelled() const override { return cancel.load(); }
  bool preempt_requested() const override { return preempt.load(); }
  const std::string& work_dir() const override { return dir_; }

  struct ProgressEntry {
    int64_t done, total;
    std::string unit;
  };
  struct MetricEntry {
    std::string name;
    double value;
    int64_t step;
  };
  std::vector<std::pair<v1::LogLevel, std::string>> logs;
  std::vector<ProgressEntry> progress;
  std::vector<MetricEntry> metrics;
  std::atomic<bool> cancel{false};
  std::atomic<bool> preempt{false};
  std::atomic<int> kv_waits{0};
  bool corrupt_value = false;

 private:
  MemoryKv* kv_;
  v1::Assignment assignment_;
  absl::Mutex mu_;
  std::string dir_ = "/tmp";
};

// Runs `world` ranks of the probe concurrently.
std::vector<absl::StatusOr<TaskResult>> RunRanks(std::vector<std::unique_ptr<FakeContext>>& ctxs) {
  std::vector<absl::StatusOr<TaskResult>> results(ctxs.size());
  std::vector<std::thread> threads;
  for (size_t r = 0; r < ctxs.size(); ++r) {
    threads.emplace_back([&, r] {
      ProbeRunner runner;
      results[r] = runner.Run(*ctxs[r]);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

std::vector<std::unique_ptr<FakeContext>> MakeRanks(MemoryKv* kv, int world,
                                                    const std::string& params) {
  std::vector<std::unique_ptr<FakeContext>> ctxs;
  for (int r = 0; r < world; ++r) ctxs.push_back(std::make_unique<FakeContext>(kv, r, world, params));
  return ctxs;
}

double ExpectedChecksum() {
  // sum_{i,j} (a a^T)_{ij} = sum_k (sum_i a_ik)^2 with a_ik = (64 i + k) / 4096.
  double total = 0;
  for (int k = 0; k < 64; ++k) {
    double column = 0;
    for (int i = 0; i < 64; ++i) column += (64.0 * i + k) / 4096.0;
    total += column * column;
  }
  return total;
}

TEST(ProbeRunnerTest, ThreeRanksAllReduceThroughTheKv) {
  MemoryKv kv;
  auto ctxs = MakeRanks(&kv, 3, R"({"ranks":3,"duration_s":0})");
  auto results = RunRanks(ctxs);
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r].status();
    const auto& values = results[r]->results;
    EXPECT_EQ(values.at("allreduce_sum"), 6);
    EXPECT_EQ(values.at("rounds"), 1);
    EXPECT_EQ(values.at("world_size"), 3);
    EXPECT_GE(values.at("torch_threads"), 1);
    EXPECT_GE(values.at("allreduce_latency_ms_p50"), 0);
    EXPECT_NEAR(values.at("matmul_checksum"), ExpectedChecksum(), ExpectedChecksum() * 1e-5);
    auto json = common::ParseJson(results[r]->result_json, "result_json");
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_EQ((*json)["libtorch_version"], compat::LibTorchVersion());
    EXPECT_EQ((*json)["probe"]["rank"], r);
    EXPECT_EQ((*json)["probe"]["allreduce_sum"], 6);
    EXPECT_TRUE((*json)["gpus"].is_array());
    EXPECT_TRUE((*json)["blas"]["loaded"].is_array());
    EXPECT_GT((*json)["memory_bytes"].get<int64_t>(), 0);
    ASSERT_EQ(ctxs[r]->metrics.size(), 1u);
    EXPECT_EQ(ctxs[r]->metrics[0].name, "allreduce_latency_ms");
    EXPECT_EQ(ctxs[r]->metrics[0].step, 0);
    ASSERT_FALSE(ctxs[r]->logs.empty());
    EXPECT_EQ(ctxs[r]->logs[0].first, v1::LOG_LEVEL_INFO);
    EXPECT_EQ(ctxs[r]->logs[0].second.rfind("probe rank " + std::to_string(r) + "/3 on ", 0), 0u)
        << ctxs[r]->logs[0].second;
  }
  EXPECT_EQ(kv.Get("probe/0/2"), "3");
  EXPECT_EQ(kv.Get("probe/0/final"), "1");
}

TEST(ProbeRunnerTest, BurnInRepeatsRoundsAndReportsProgressInSeconds) {
  MemoryKv kv;
  auto ctxs = MakeRanks(&kv, 2, R"({"duration_s":0.3})");
  auto results = RunRanks(ctxs);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  const double rounds = results[0]->results.at("rounds");
  EXPECT_GE(rounds, 2);  // rounds are 50 ms apart, the burn-in lasts 0.3 s
  EXPECT_EQ(results[1]->results.at("rounds"), rounds);  // rank 0 decides the last round for all
  EXPECT_EQ(results[0]->results.at("allreduce_sum"), 3);
  for (const auto& ctx : ctxs) {
    EXPECT_EQ(ctx->metrics.size(), static_cast<size_t>(rounds));
    ASSERT_FALSE(ctx->progress.empty());
    EXPECT_EQ(ctx->progress.back().done, 1);
    EXPECT_EQ(ctx->progress.back().total, 1);
    EXPECT_EQ(ctx->progress.back().unit, "s");
  }
}

TEST(ProbeRunnerTest, StopsWhenCancelledOrPreempted) {
  for (const bool preempt : {false, true}) {
    MemoryKv kv;
    // Rank 1 never runs: rank 0 waits in KvWait until it is told to stop.
    FakeContext ctx(&kv, 0, 2, R"({"duration_s":60})");
    std::thread stopper([&] {
      while (ctx.kv_waits.load() < 2) absl::SleepFor(absl::Milliseconds(1));
      (preempt ? ctx.preempt : ctx.cancel).store(true);
    });
    ProbeRunner runner;
    auto result = runner.Run(ctx);
    stopper.join();
    if (preempt) {
      EXPECT_EQ(result.status(), PreemptedStatus());
    } else {
      EXPECT_EQ(result.status(), absl::CancelledError("probe cancelled"));
    }
  }
}

TEST(ProbeRunnerTest, WrongSumFails) {
  MemoryKv kv;
  auto ctxs = MakeRanks(&kv, 2, "");
  ctxs[1]->corrupt_value = true;  // rank 1 sends 7 instead of 2
  auto results = RunRanks(ctxs);
  EXPECT_EQ(results[0].status(),
            absl::InternalError(
                "probe round 0: all-reduce sum 8 != expected 3 for world size 2 (values 1,7)"));
}

TEST(ProbeRunnerTest, RejectsBadParams) {
  EXPECT_EQ(ParseProbeParams(R"({"ranks":"x"})").status(),
            absl::InvalidArgumentError(R"(params_json.ranks: expected a positive integer, got "x")"));
  EXPECT_EQ(ParseProbeParams(R"({"ranks":0})").status(),
            absl::InvalidArgumentError("params_json.ranks: expected a positive integer, got 0"));
  EXPECT_EQ(ParseProbeParams(R"({"duration_s":-1})").status(),
            absl::InvalidArgumentError(
                "params_json.duration_s: expected a number of seconds >= 0, got -1"));
  EXPECT_EQ(ParseProbeParams("[1]").status(),
            absl::InvalidArgumentError("params_json: expected a JSON object"));
  EXPECT_EQ(ParseProbeParams("{").status().code(), absl::StatusCode::kInvalidArgument);
  auto params = ParseProbeParams(R"({"ranks":4,"duration_s":2.5,"other":true})");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->ranks, 4);
  EXPECT_EQ(params->duration_s, 2.5);

  MemoryKv kv;
  FakeContext ctx(&kv, 0, 3, R"({"ranks":2})");
  ProbeRunner runner;
  EXPECT_EQ(runner.Run(ctx).status(),
            absl::InvalidArgumentError(
                "params_json.ranks: 2 does not match the assignment's world size 3"));
  EXPECT_FALSE(runner.SupportsCheckpoint());
}

TEST(ProbeRunnerTest, MatmulChecksumMatchesPlainArithmetic) {
  EXPECT_NEAR(ProbeMatmulChecksum(), ExpectedChecksum(), ExpectedChecksum() * 1e-5);
}

}  // namespace
}  // namespace ecgbench::worker
