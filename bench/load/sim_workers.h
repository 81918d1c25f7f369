// Simulated workers for the coordinator load generator (bench/load): W workers that register,
// heartbeat every heartbeat_ms (listing the assignments they hold), long-poll AcquireTask and
// complete each assignment at once or after complete_delay_ms, with a valid result. They run on
// gRPC's callback API: a handful of threads drive every worker's calls, whatever W is.
//
// Thread-safe: Start/Stop/Deregister from one controlling thread; the stats may be read at any
// time. Stop must be called before destruction (the destructor calls it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "bench/load/load_stats.h"
#include "ecgbench/v1/worker.grpc.pb.h"

namespace ecgbench::bench {

struct SimWorkerOptions {
  std::string address;        // coordinator host:port
  std::string token;          // bearer token of the worker role; empty: none sent
  int workers = 1000;
  int channels = 0;           // TCP connections the workers share; 0: one per worker, as real workers
  int cpu_cores = 1;          // offered by each worker = tasks it runs at once (1-core tasks)
  int heartbeat_ms = 1000;
  int acquire_wait_ms = 5000;
  int complete_delay_ms = 0;  // time between acquiring and completing an assignment
  int call_timeout_ms = 10000;
};

struct SimWorkerStats {
  LatencyRecorder register_latency;
  LatencyRecorder heartbeat_idle;  // heartbeats before MarkLoadPhase
  LatencyRecorder heartbeat_load;  // heartbeats after it
  LatencyRecorder complete_latency;
  ErrorCounter errors;
  EventTimes acquired;   // ms since the epoch at which an assignment arrived
  EventTimes completed;  // ms since the epoch at which CompleteTask returned OK
  std::atomic<int64_t> completed_ok{0};
  std::atomic<int64_t> heartbeats{0};
  std::atomic<int64_t> heartbeats_skipped{0};  // previous heartbeat of the worker still in flight
  std::atomic<int64_t> cancel_commands{0};     // the coordinator told a worker to stop an assignment
};

class SimWorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  SimWorkerPool(SimWorkerOptions options, Clock::time_point epoch);
  ~SimWorkerPool();
  SimWorkerPool(const SimWorkerPool&) = delete;
  SimWorkerPool& operator=(const SimWorkerPool&) = delete;

  // Registers every worker, `parallel` blocking calls at a time. The first failure is returned
  // (the pool is then unusable).
  absl::Status Register(int parallel);
  // Starts the heartbeat and timer threads and one long-poll per worker.
  void Start();
  // From now on heartbeat latencies go to heartbeat_load.
  void MarkLoadPhase() { load_phase_ = true; }
  // Stops issuing calls, cancels the long-polls and waits (at most `wait`) for the calls in flight.
  void Stop(std::chrono::milliseconds wait);
  // Deregisters every worker (after Stop), `parallel` at a time; failures are counted as errors.
  void Deregister(int parallel);

  SimWorkerStats& stats() { return stats_; }

 private:
  struct Worker;
  struct Timed {
    int64_t due_ms;
    std::function<void()> fn;
    bool operator>(const Timed& o) const { return due_ms > o.due_ms; }
  };

  int64_t NowMs() const;
  void Prepare(grpc::ClientContext* ctx, int timeout_ms) const;
  void MaybePoll(Worker& w);
  void IssueAcquire(Worker& w);
  void Complete(Worker& w, const v1::Assignment& a);
  void Heartbeat(Worker& w);
  void HeartbeatLoop();
  void TimerLoop();
  void After(int delay_ms, std::function<void()> fn);
  void CallDone();

  const SimWorkerOptions options_;
  const Clock::time_point epoch_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::WorkerService::Stub>> stubs_;
  std::vector<std::unique_ptr<Worker>> workers_;
  SimWorkerStats stats_;
  std::atomic<bool> load_phase_{false};
  std::atomic<bool> stopping_{false};

  std::mutex inflight_mu_;
  std::condition_variable inflight_cv_;
  int64_t inflight_ = 0;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> timers_;
  std::thread timer_thread_;
  std::thread heartbeat_thread_;
};

}  // namespace ecgbench::bench
