// Manager: the coordinator's state machine. Owns the in-memory view of experiments, runs, stages,
// tasks, attempts and workers, writes every state change to the Store in one transaction, and runs
// the scheduler. gRPC handlers are thin adapters over these methods.
//
// Thread-safe: every public method takes mu_. Blocking calls (AcquireTask, KvWait, WaitForEvents)
// wait on condition variables with mu_ released. Store errors fail the call and leave the in-memory
// state as it was before the call.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/security/path_policy.h"
#include "common/util/clock.h"
#include "ecgbench/v1/coordinator.pb.h"
#include "ecgbench/v1/worker.pb.h"
#include "server/experiments/manager_listener.h"
#include "server/scheduler/scheduler.h"
#include "server/store/store.h"

namespace ecgbench::server {

struct ManagerOptions {
  int lease_ms = 10000;              // a worker silent this long loses its assignments
  int heartbeat_interval_ms = 1000;  // suggested to workers
  // After a coordinator restart, workers get this long (instead of one lease) to reconnect and
  // confirm their running assignments: their channels need a few reconnect backoffs to notice.
  int recovery_grace_ms = 30000;
  int max_acquire_wait_ms = 10000;   // cap on AcquireTask long-polls
  int retry_backoff_base_ms = 1000;  // backoff after the n-th failure: base * 2^(n-1), capped
  int retry_backoff_max_ms = 60000;
  // Roots the paths in specs must lie under (--data-root; common/security/spec_paths.h): Submit
  // refuses other paths and stores relative ones made absolute. Default: unconfined.
  common::PathPolicy path_policy;
};

struct SubmitResult {
  v1::Experiment experiment;
  bool created = false;
};

class Manager {
 public:
  // `store`, `clock` and `listener` must outlive the Manager. `listener` may be null.
  Manager(ManagerOptions options, Store* store, const common::Clock* clock, ManagerListener* listener);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Rebuilds the in-memory state from the store (call once, before serving). Workers get one lease
  // period from now to heartbeat again; running attempts keep running.
  absl::Status Recover();

  // --- client API ---
  // `owner` is recorded as the experiment's owner (the submitting token's name; "" when anonymous).
  absl::StatusOr<SubmitResult> Submit(const v1::SubmitExperimentRequest& request, const std::string& owner = "");
  absl::StatusOr<v1::Experiment> GetExperiment(const std::string& id, bool with_runs);
  // `owner` non-empty: only that owner's experiments are listed.
  absl::StatusOr<v1::ListExperimentsResponse> ListExperiments(const v1::ListExperimentsRequest& request,
                                                              const std::string& owner = "");
  absl::StatusOr<v1::Experiment> Cancel(const std::string& id, const std::string& reason);
  absl::StatusOr<v1::GetResultsResponse> GetResults(const std::string& id);
  std::vector<v1::WorkerInfo> ListWorkers(bool include_gone);
  // Events / logs for streaming; `terminal` tells whether the experiment has ended.
  absl::StatusOr<std::vector<v1::Event>> ReadEvents(const std::string& id, int64_t after_seq, int limit,
                                                    bool* terminal);
  absl::StatusOr<std::vector<v1::LogLine>> ReadLogs(const LogQuery& query, bool* terminal);
  // Newest event and log sequence numbers of the whole coordinator. A stream takes them before
  // reading, then WaitForNews(them) blocks until anything newer exists (or the timeout passes).
  std::pair<int64_t, int64_t> Watermarks();
  // Returns false when the coordinator is shutting down (streams should end).
  bool WaitForNews(int64_t event_seq, int64_t log_seq, int timeout_ms);

  // --- worker API ---
  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(const v1::RegisterWorkerRequest& request);
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request);
  // Long-poll; returns nullopt after wait_ms without work.
  absl::StatusOr<std::optional<v1::Assignment>> AcquireTask(const std::string& worker_id, int wait_ms);
  absl::Status ReportProgress(const v1::ReportProgressRequest& request);
  absl::Status ReportMetrics(const v1::ReportMetricsRequest& request);
  absl::Status AppendLogs(const v1::AppendLogsRequest& request);
  absl::Status CompleteTask(const v1::CompleteTaskRequest& request);
  absl::Status FailTask(const v1::FailTaskRequest& request);
  absl::Status DeregisterWorker(const std::string& worker_id);
  absl::Status KvSet(const v1::KvSetRequest& request);
  absl::StatusOr<v1::KvGetResponse> KvGet(const v1::KvGetRequest& request);
  absl::StatusOr<v1::KvWaitResponse> KvWait(const v1::KvWaitRequest& request);

  // Wakes every blocked call (AcquireTask, KvWait, WaitForNews) and makes new ones return at once;
  // called before the gRPC server shuts down so that long-polls do not hold it up.
  void StopWaiters();

  // Periodic work: lease expiry, retries whose backoff passed, scheduling. Called by a ticker
  // thread (every ~200 ms) and by tests with a fake clock.
  void Tick();

  // Current gauges for /metrics (consistent snapshot).
  ManagerGauges Gauges();

 private:
  struct WorkerRuntime;
  struct Tx;
  // A pending task's place in the queue: (-priority, order, id), the order ScheduledBefore gives.
  using PendingKey = std::tuple<int, uint64_t, std::string>;
  static PendingKey PendingKeyOf(const store::TaskRecord& t) { return {-t.priority(), t.order(), t.id()}; }

  // All helpers below REQUIRE mu_ held.
  absl::Status CommitLocked(Tx& tx) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLocked(Tx& tx) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireLeasesLocked(Tx& tx) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetExperimentState(Tx& tx, store::ExperimentRecord& e, v1::State s, const std::string& msg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetRunState(Tx& tx, store::RunRecord& r, v1::State s, const std::string& msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetStageState(Tx& tx, store::StageRecord& st, v1::State s, const std::string& msg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetTaskState(Tx& tx, store::TaskRecord& t, v1::State s, const std::string& msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the current attempt of `t` (ranks released, other ranks told to cancel).
  void EndAttemptLocked(Tx& tx, store::TaskRecord& t, v1::State attempt_state, const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A failed attempt: retry with backoff, re-queue (preempted), or fail the task for good.
  void HandleAttemptFailureLocked(Tx& tx, store::TaskRecord& t, const std::string& error, bool retryable,
                                  bool preempted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTaskSucceededLocked(Tx& tx, store::TaskRecord& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTaskFailedLocked(Tx& tx, store::TaskRecord& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelRunLocked(Tx& tx, store::RunRecord& run, v1::State final_state, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateRunAndExperimentLocked(Tx& tx, const std::string& run_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkStagesReadyLocked(Tx& tx, const store::RunRecord& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool StageReadyLocked(const store::StageRecord& st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseRankLocked(const store::AttemptRecord& a, const store::RankRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailWorkerAssignmentsLocked(Tx& tx, const std::string& worker_id, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Validates that `worker_id` runs rank `ref.rank` of the CURRENT attempt `ref.attempt_id`.
  absl::StatusOr<store::TaskRecord*> CheckAssignmentLocked(const std::string& worker_id,
                                                           const v1::AssignmentRef& ref)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckAttemptMemberLocked(const std::string& worker_id, const std::string& attempt_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Experiment ExperimentProtoLocked(const store::ExperimentRecord& e, bool with_runs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::WorkerInfo WorkerProtoLocked(const WorkerRuntime& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Assignment AssignmentLocked(const store::TaskRecord& t, const store::AttemptRecord& a, int rank)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddEventLocked(Tx& tx, const std::string& experiment_id, v1::Event ev) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ExperimentTerminalLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const ManagerOptions options_;
  Store* const store_;
  const common::Clock* const clock_;
  ManagerListener* const listener_;

  mutable absl::Mutex mu_;
  // State below is protected by mu_.
  std::map<std::string, store::ExperimentRecord> experiments_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> request_ids_ ABSL_GUARDED_BY(mu_);  // request id -> exp id
  std::map<std::string, store::RunRecord> runs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, store::StageRecord> stages_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, store::TaskRecord> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, store::AttemptRecord> attempts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<WorkerRuntime>> workers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string>> kv_ ABSL_GUARDED_BY(mu_);  // attempt -> key -> value
  // PENDING tasks of ready stages in scheduling order, so a pass over a full cluster stops early.
  std::set<PendingKey> pending_tasks_ ABSL_GUARDED_BY(mu_);
  // ScheduleLocked's view of the ACTIVE workers in id order (sched_runtimes_ parallel to it),
  // rebuilt only when the set of workers changes (workers_generation_ moves on registration, loss,
  // deregistration and Recover); free resources are refreshed on every pass. Saves copying every
  // worker's id and stage kinds on every submission and completion.
  std::vector<SchedWorker> sched_workers_ ABSL_GUARDED_BY(mu_);
  std::vector<WorkerRuntime*> sched_runtimes_ ABSL_GUARDED_BY(mu_);
  uint64_t workers_generation_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t sched_generation_ ABSL_GUARDED_BY(mu_) = 0;
  SchedTask sched_task_ ABSL_GUARDED_BY(mu_);  // scratch: its strings keep their capacity
  std::map<std::string, int64_t> last_progress_event_ms_ ABSL_GUARDED_BY(mu_);
  uint64_t next_submit_seq_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool store_ok_ ABSL_GUARDED_BY(mu_) = true;  // the last store commit succeeded
  int64_t last_event_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_log_seq_ ABSL_GUARDED_BY(mu_) = 0;
  absl::CondVar news_cv_;      // new events or logs
  // New assignments wake only their worker's AcquireTask: WorkerRuntime::work_cv.
  absl::CondVar kv_cv_;        // new KV entries
};

}  // namespace ecgbench::server
