// Agent: registration, the heartbeat / acquire / shipper loops and the shutdown sequence. What
// happens to one assignment (running it, shipping its reports, delivering its outcome) is in
// agent_assignments.cc.
#include "worker/agent/agent.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/rpc/channel.h"
#include "spdlog/spdlog.h"
#include "worker/agent/assignment_run.h"
#include "worker/agent/backoff.h"
#include "worker/agent/coordinator_client.h"

namespace ecgbench::worker {

Agent::Agent(AgentOptions options, const StageRegistry* registry, common::Clock* clock)
    : options_(std::move(options)),
      registry_(registry),
      clock_(clock),
      client_(std::make_unique<CoordinatorClient>(
          common::MakeChannel({options_.coordinator_address, options_.security}), options_.call_timeout)) {}

Agent::~Agent() {
  RequestShutdown(absl::ZeroDuration());
  for (std::thread* t : {&heartbeat_thread_, &acquire_thread_, &ship_thread_, &watchdog_thread_}) {
    if (t->joinable()) t->join();
  }
  std::map<std::string, std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(run_threads_);
  }
  for (auto& [key, thread] : threads) thread.join();
}

std::string Agent::worker_id() const { return client_->worker_id(); }

bool Agent::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

int Agent::running_assignments() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(runs_.size());
}

std::vector<std::shared_ptr<AssignmentRun>> Agent::Runs() const {
  std::vector<std::shared_ptr<AssignmentRun>> runs;
  absl::MutexLock lock(&mu_);
  runs.reserve(runs_.size());
  for (const auto& [key, run] : runs_) runs.push_back(run);
  return runs;
}

bool Agent::SleepUntil(const bool* flag, absl::Duration d) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(flag), d);
}

void Agent::RequestShutdown(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  if (shutdown_requested_) return;
  shutdown_requested_ = true;
  grace_ = grace;
  stop_acquire_ = true;
  if (acquire_call_ != nullptr) acquire_call_->TryCancel();
}

void Agent::Shutdown(absl::Duration grace) {
  RequestShutdown(grace);
  {
    absl::MutexLock lock(&mu_);
    if (!run_called_) return;
  }
  run_finished_.WaitForNotification();
}

absl::Status Agent::Register(const std::string& previous_worker_id, const bool* stop) {
  v1::RegisterWorkerRequest request;
  request.set_name(options_.name);
  *request.mutable_resources() = options_.resources;
  for (const auto& [key, value] : options_.labels) (*request.mutable_labels())[key] = value;
  for (const std::string& kind : registry_->Kinds()) request.add_stage_kinds(kind);
  request.set_previous_worker_id(previous_worker_id);
  request.set_version(options_.version);
  request.set_metrics_address(options_.metrics_address);

  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  for (int failures = 0;; ++failures) {
    const int64_t sent_ms = clock_->NowMonotonicMs();
    auto response = client_->RegisterWorker(request);
    if (response.ok()) {
      client_->set_worker_id(response->worker_id());
      {
        absl::MutexLock lock(&mu_);
        if (response->heartbeat_interval_ms() > 0) {
          heartbeat_interval_ms_ = response->heartbeat_interval_ms();
        }
      }
      LeaseRenewed(sent_ms, response->lease_ms());
      if (options_.metrics != nullptr) options_.metrics->SetRegistered(true, response->worker_id());
      spdlog::info("registered with {} as {} (kinds: {}; heartbeat every {} ms)",
                   options_.coordinator_address, response->worker_id(),
                   absl::StrJoin(request.stage_kinds(), ","), response->heartbeat_interval_ms());
      return absl::OkStatus();
    }
    if (!IsTransient(response.status())) {
      return absl::Status(response.status().code(),
                          absl::StrCat("RegisterWorker at ", options_.coordinator_address, ": ",
                                       response.status().message()));
    }
    if (failures == 0) {
      spdlog::warn("coordinator {} unreachable ({}); retrying registration",
                   options_.coordinator_address, std::string(response.status().message()));
    }
    if (SleepUntil(stop, backoff.Next())) {
      return absl::CancelledError("stopped before the worker could register");
    }
  }
}

absl::Status Agent::Run() {
  {
    absl::MutexLock lock(&mu_);
    if (run_called_) return absl::FailedPreconditionError("Agent::Run called twice");
    run_called_ = true;
    if (shutdown_requested_) {
      run_finished_.Notify();
      return absl::OkStatus();
    }
  }
  if (options_.metrics != nullptr) {
    options_.metrics->SetResources(options_.resources.cpu_cores(),
                                   options_.resources.memory_bytes());
  }
  absl::Status registered = Register("", &shutdown_requested_);
  if (!registered.ok()) {
    run_finished_.Notify();
    // A shutdown before registration is a clean exit.
    return registered.code() == absl::StatusCode::kCancelled ? absl::OkStatus() : registered;
  }
  heartbeat_thread_ = std::thread(&Agent::HeartbeatLoop, this);
  ship_thread_ = std::thread(&Agent::ShipLoop, this);
  acquire_thread_ = std::thread(&Agent::AcquireLoop, this);
  watchdog_thread_ = std::thread(&Agent::WatchdogLoop, this);

  absl::Duration grace;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&shutdown_requested_));
    grace = grace_;
  }
  acquire_thread_.join();  // RequestShutdown cancelled its long poll
  const auto preempting = Runs();
  spdlog::info("shutting down: {} assignment(s) running, grace period {}", preempting.size(),
               absl::FormatDuration(grace));
  for (const auto& run : preempting) run->RequestPreempt();

  auto no_runs = [this]() { return runs_.empty(); };
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&no_runs), grace);
  }
  for (const auto& run : Runs()) {
    spdlog::warn("{}: still running after the grace period; cancelling", run->label());
    run->Cancel(CancelReason::kShutdown);
  }
  std::vector<std::string> stuck;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&no_runs), options_.cancel_wait);
    abandon_deliveries_ = true;
    // Deliveries in flight finish their current call (bounded by the call timeout).
    mu_.AwaitWithTimeout(absl::Condition(&no_runs), options_.call_timeout + absl::Seconds(1));
    for (const auto& [key, run] : runs_) stuck.push_back(run->label());
    stop_threads_ = true;
  }
  heartbeat_thread_.join();
  ship_thread_.join();
  watchdog_thread_.join();
  absl::Status deregistered = client_->DeregisterWorker(options_.call_timeout);
  if (deregistered.ok()) {
    spdlog::info("deregistered {}", client_->worker_id());
  } else {
    spdlog::warn("DeregisterWorker failed ({}); the coordinator will expire the lease",
                 deregistered.ToString());
  }
  if (options_.metrics != nullptr) options_.metrics->SetRegistered(false, client_->worker_id());
  JoinFinishedThreads();
  run_finished_.Notify();
  if (!stuck.empty()) {
    return absl::DeadlineExceededError(absl::StrCat("stage runners did not stop after cancel: ",
                                                    absl::StrJoin(stuck, "; ")));
  }
  return absl::OkStatus();
}

void Agent::HeartbeatLoop() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    wait = absl::Milliseconds(heartbeat_interval_ms_);
  }
  bool failing = false;
  while (true) {
    bool reregister = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() {
        return stop_threads_ || reregister_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
      if (stop_threads_) return;
      reregister = reregister_;
      reregister_ = false;
    }
    if (reregister) {
      const std::string previous = client_->worker_id();
      if (options_.metrics != nullptr) options_.metrics->SetRegistered(false, previous);
      spdlog::warn("the coordinator does not know worker {}; registering again", previous);
      absl::Status status = Register(previous, &stop_threads_);
      if (!status.ok()) {
        if (status.code() == absl::StatusCode::kCancelled) return;
        spdlog::error("re-registration failed: {}", status.ToString());
        absl::MutexLock lock(&mu_);
        reregister_ = true;
        wait = backoff.Next();
        continue;
      }
    }
    v1::HeartbeatRequest request;
    for (const auto& run : Runs()) {
      // A fenced assignment is no longer this worker's to confirm.
      if (run->cancel_reason() != CancelReason::kLeaseLost) *request.add_running() = run->ref();
    }
    const int64_t sent_ms = clock_->NowMonotonicMs();
    auto response = client_->Heartbeat(&request);
    if (response.ok()) {
      if (failing) spdlog::info("coordinator reachable again");
      failing = false;
      backoff.Reset();
      LeaseRenewed(sent_ms, response->lease_ms());
      for (const v1::WorkerCommand& command : response->commands()) HandleCommand(command);
      absl::MutexLock lock(&mu_);
      wait = absl::Milliseconds(heartbeat_interval_ms_);
      continue;
    }
    if (options_.metrics != nullptr) options_.metrics->HeartbeatFailed();
    if (response.status().code() == absl::StatusCode::kNotFound) {
      // The coordinator dropped this worker (lease expired or it deregistered): every assignment
      // it held was ended there, whatever the lease clock says here.
      FenceRuns(absl::StrCat("the coordinator no longer knows worker ", client_->worker_id(), " (",
                             response.status().message(), ")"));
      absl::MutexLock lock(&mu_);
      reregister_ = true;
      continue;
    }
    if (!failing) {
      spdlog::warn("heartbeat failed ({}); retrying with backoff, running tasks continue",
                   response.status().ToString());
    }
    failing = true;
    wait = backoff.Next();
  }
}

void Agent::HandleCommand(const v1::WorkerCommand& command) {
  switch (command.kind()) {
    case v1::WorkerCommand::KIND_CANCEL: {
      const std::string key =
          absl::StrCat(command.assignment().attempt_id(), "/", command.assignment().rank());
      std::shared_ptr<AssignmentRun> run;
      {
        absl::MutexLock lock(&mu_);
        auto it = runs_.find(key);
        if (it != runs_.end()) run = it->second;
      }
      if (run == nullptr) {
        spdlog::debug("cancel for {}: not running here", key);
        return;
      }
      spdlog::info("{}: cancelled by the coordinator ({})", run->label(), command.reason());
      run->Cancel(CancelReason::kCoordinator);
      return;
    }
    case v1::WorkerCommand::KIND_DRAIN: {
      absl::MutexLock lock(&mu_);
      if (draining_) return;
      spdlog::info("draining ({}): finishing running assignments, acquiring nothing new",
                   command.reason());
      draining_ = true;
      stop_acquire_ = true;
      if (acquire_call_ != nullptr) acquire_call_->TryCancel();
      return;
    }
    default:
      spdlog::warn("ignoring unknown worker command kind {}", static_cast<int>(command.kind()));
  }
}

void Agent::AcquireLoop() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  bool failing = false;
  while (true) {
    JoinFinishedThreads();
    if (LeaseLost(nullptr)) {
      // No new work while the lease may be gone: it would be fenced at once.
      absl::Duration wait;
      {
        absl::MutexLock lock(&mu_);
        wait = absl::Milliseconds(heartbeat_interval_ms_);
      }
      if (SleepUntil(&stop_acquire_, wait)) return;
      continue;
    }
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stop_acquire_) return;
      acquire_call_ = &context;
    }
    auto response = client_->AcquireTask(options_.acquire_wait_ms, &context);
    {
      absl::MutexLock lock(&mu_);
      acquire_call_ = nullptr;
    }
    if (response.ok()) {
      failing = false;
      backoff.Reset();
      if (response->has_assignment()) StartAssignment(response->assignment());
      continue;
    }
    // CANCELLED: shutdown or drain cancelled the poll (SleepUntil returns at once then).
    // NOT_FOUND: the heartbeat thread re-registers; until then, back off like any other error.
    if (response.status().code() != absl::StatusCode::kCancelled) {
      if (!failing) spdlog::warn("AcquireTask failed: {}", response.status().ToString());
      failing = true;
    }
    if (SleepUntil(&stop_acquire_, backoff.Next())) return;
  }
}

void Agent::WakeShipper() {
  absl::MutexLock lock(&mu_);
  ship_now_ = true;
}

void Agent::ShipLoop() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  absl::Time retry_after = absl::InfinitePast();
  bool failing = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() { return stop_threads_ || ship_now_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.ship_interval);
      if (stop_threads_) return;
      ship_now_ = false;
    }
    if (absl::Now() < retry_after) continue;
    absl::Status failure;
    for (const auto& run : Runs()) {
      // Fenced: nothing more is reported (RunAssignment drops the rest).
      if (run->reports().empty() || run->cancel_reason() == CancelReason::kLeaseLost) continue;
      absl::Status status = ShipReports(*run);
      if (status.code() == absl::StatusCode::kFailedPrecondition) {
        spdlog::warn("{}: the coordinator rejected its reports ({}): the attempt is stale; stopping it",
                     run->label(), std::string(status.message()));
        run->Cancel(CancelReason::kStale);
        run->reports().Clear();
      } else if (!status.ok()) {
        failure = status;
        break;
      }
    }
    if (failure.ok()) {
      failing = false;
      backoff.Reset();
      continue;
    }
    if (!failing) spdlog::warn("shipping reports failed ({}); keeping them", failure.ToString());
    failing = true;
    retry_after = absl::Now() + backoff.Next();
  }
}

}  // namespace ecgbench::worker
