// Agent: the worker's side of the WorkerService protocol. It registers, renews its leases with
// heartbeats (and obeys the commands they bring: cancel, drain), long-polls for assignments, runs
// each one on its own thread through the StageRegistry, ships logs/progress/metrics in batches,
// and reports the outcome (CompleteTask / FailTask). It rides out coordinator restarts: reports are
// buffered and resent, calls are retried with backoff, a coordinator that forgot the worker
// (NOT_FOUND) gets a re-registration carrying the previous id.
//
// Self-fencing: the worker stops its running assignments (CancelReason::kLeaseLost: no checkpoint,
// nothing reported) when its lease may have expired at the coordinator: no heartbeat answered OK
// for the lease minus one heartbeat interval, counted from when that request was sent (see
// LeaseTracker), or a heartbeat answered NOT_FOUND (the coordinator dropped the worker). Another
// worker may own those tasks by then, and two copies must not write the same checkpoints. The
// trade-off: a coordinator outage longer than one lease stops running tasks, which are retried
// from their last checkpoint (the coordinator's recovery grace only helps shorter outages). A
// runner cancelled while serving that does not return within stuck_runner_wait is reported to
// on_stuck_runner (ecgbench-worker exits with code 3: threads cannot be killed).
//
// Threads: Run() runs the shutdown sequence on the caller's thread and owns a heartbeat thread, an
// acquire thread, a report-shipper thread, a watchdog thread (lease and stuck runners) and one
// thread per assignment.
// Thread-safety: RequestShutdown, Shutdown and the accessors may be called from any thread.
// Ownership: the registry, clock and metrics must outlive the Agent.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/rpc/channel.h"
#include "common/util/clock.h"
#include "ecgbench/v1/worker.pb.h"
#include "worker/agent/lease_tracker.h"
#include "worker/agent/stage_registry.h"
#include "worker/agent/worker_metrics.h"

namespace grpc {
class ClientContext;
}

namespace ecgbench::worker {

class AssignmentRun;
class CoordinatorClient;

struct AgentOptions {
  std::string coordinator_address = "127.0.0.1:50051";
  common::ChannelSecurity security;          // TLS and bearer token of the coordinator channel
  std::string name;                          // host or pod name
  v1::Resources resources;                   // cpu cores, memory, GPUs offered
  std::map<std::string, std::string> labels;
  std::string version;                       // of this binary
  std::string metrics_address;               // advertised /metrics address, may be empty
  std::string work_root = ".ecgbench/work";  // per-assignment directories go below
  WorkerMetrics* metrics = nullptr;          // may be null

  int acquire_wait_ms = 5000;                // AcquireTask long-poll
  absl::Duration call_timeout = absl::Seconds(5);
  absl::Duration ship_interval = absl::Milliseconds(200);
  size_t log_batch_lines = 100;              // ship as soon as this many lines wait
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(2);
  // After the grace period, cancelled runners get this long to return before Run gives up on them.
  absl::Duration cancel_wait = absl::Seconds(5);
  // A runner cancelled while the agent serves (by the coordinator, as stale, for a lost lease) that
  // has not returned after this long is stuck: on_stuck_runner(its label) is called once, from the
  // watchdog thread. Shutdown cancels are Run's (DEADLINE_EXCEEDED). May be empty (logged only).
  absl::Duration stuck_runner_wait = absl::Seconds(60);
  std::function<void(const std::string& label)> on_stuck_runner;
  // How often the watchdog checks the lease and cancelled runners.
  absl::Duration watchdog_interval = absl::Milliseconds(50);
};

class Agent {
 public:
  Agent(AgentOptions options, const StageRegistry* registry, common::Clock* clock);
  // REQUIRES: Run() has returned (or was never called). Blocks until every runner thread ended.
  ~Agent();

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Registers (retrying while the coordinator is unreachable), then serves until a shutdown is
  // requested, then: stops acquiring, asks running assignments to preempt, waits up to the grace
  // period, cancels what is left, deregisters. Call once.
  // Errors: a registration rejected for good (e.g. INVALID_ARGUMENT); DEADLINE_EXCEEDED when
  // runners ignored the cancel (their threads still run: exit the process rather than destroy the
  // Agent).
  absl::Status Run();

  // Non-blocking; the first call's grace period counts. Safe before Run() (Run then returns at
  // once) and from a signal-watching thread (not from a signal handler).
  void RequestShutdown(absl::Duration grace);
  // RequestShutdown, then blocks until Run() has returned (at once when Run was never called).
  void Shutdown(absl::Duration grace);

  std::string worker_id() const;
  bool draining() const;
  // True while the lease may have expired at the coordinator (assignments are being fenced).
  bool lease_lost() const { return LeaseLost(nullptr); }
  int running_assignments() const;

 private:
  // Registers (again, when previous_worker_id is set), retrying transient errors until `*stop`.
  absl::Status Register(const std::string& previous_worker_id, const bool* stop);
  void HeartbeatLoop();
  void AcquireLoop();
  // Fences assignments when the lease is lost and reports stuck runners (agent_lease.cc).
  void WatchdogLoop();
  // Cancels every running assignment not cancelled yet with kLeaseLost, logging "lease lost: <why>".
  void FenceRuns(const std::string& why);
  // Whether the lease may be gone now; `why` gets the reason when it is.
  bool LeaseLost(std::string* why) const;
  void LeaseRenewed(int64_t sent_ms, int lease_ms);
  void ShipLoop();
  void HandleCommand(const v1::WorkerCommand& command);
  void StartAssignment(const v1::Assignment& assignment);
  void RunAssignment(std::shared_ptr<AssignmentRun> run);
  // Ships everything `run` has buffered. Errors: the first failed call (the rest stays buffered).
  absl::Status ShipReports(AssignmentRun& run);
  // Flushes the reports, then delivers the final CompleteTask / FailTask (`send`), retrying
  // transient errors until delivered, rejected, or the agent abandons deliveries.
  void DeliverOutcome(AssignmentRun& run, const char* what,
                      const std::function<absl::Status()>& send);
  void WakeShipper();
  void JoinFinishedThreads();
  // Sleeps up to `d`; returns early (true) when `*flag` becomes true.
  bool SleepUntil(const bool* flag, absl::Duration d);
  std::vector<std::shared_ptr<AssignmentRun>> Runs() const;

  // Constant after construction.
  const AgentOptions options_;
  const StageRegistry* const registry_;
  common::Clock* const clock_;
  const std::unique_ptr<CoordinatorClient> client_;

  mutable absl::Mutex mu_;
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration grace_ ABSL_GUARDED_BY(mu_);
  bool stop_acquire_ ABSL_GUARDED_BY(mu_) = false;  // shutdown or drain
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_threads_ ABSL_GUARDED_BY(mu_) = false;
  bool abandon_deliveries_ ABSL_GUARDED_BY(mu_) = false;
  bool ship_now_ ABSL_GUARDED_BY(mu_) = false;
  bool reregister_ ABSL_GUARDED_BY(mu_) = false;
  int heartbeat_interval_ms_ ABSL_GUARDED_BY(mu_) = 1000;
  LeaseTracker lease_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* acquire_call_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<std::string, std::shared_ptr<AssignmentRun>> runs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::thread> run_threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> finished_runs_ ABSL_GUARDED_BY(mu_);  // threads to join
  bool run_called_ ABSL_GUARDED_BY(mu_) = false;

  absl::Notification run_finished_;
  std::thread heartbeat_thread_;
  std::thread acquire_thread_;
  std::thread ship_thread_;
  std::thread watchdog_thread_;
};

}  // namespace ecgbench::worker
