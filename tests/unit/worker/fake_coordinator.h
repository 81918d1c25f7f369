// Test-only fake of the coordinator's WorkerService: a real gRPC server on 127.0.0.1 that hands out
// scripted assignments and commands, records every call, and keeps an in-memory rendezvous KV.
// Thread-safe.
#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ecgbench/v1/worker.grpc.pb.h"

namespace ecgbench::worker::testing {

class FakeCoordinator final : public v1::WorkerService::Service {
 public:
  // port 0 picks a free port. `known_workers`: ids it knows from "before a restart".
  explicit FakeCoordinator(int port = 0, std::set<std::string> known_workers = {})
      : known_(std::move(known_workers)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeCoordinator() override { Stop(); }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server_->Wait();
    server_.reset();
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  // --- scripting ---
  void set_heartbeat_interval_ms(int ms) { Locked([&] { heartbeat_interval_ms_ = ms; }); }
  void set_lease_ms(int ms) { Locked([&] { lease_ms_ = ms; }); }
  void QueueAssignment(v1::Assignment a) { Locked([&] { assignments_.push_back(std::move(a)); }); }
  void QueueCommand(v1::WorkerCommand c) { Locked([&] { commands_.push_back(std::move(c)); }); }
  void HeartbeatNotFoundOnce() { Locked([&] { heartbeat_not_found_ = true; }); }
  void set_complete_status(grpc::Status s) { Locked([&] { complete_status_ = std::move(s); }); }
  // DeregisterWorker records the call, then holds it this long (or until the server stops).
  void set_deregister_delay(absl::Duration d) { Locked([&] { deregister_delay_ = d; }); }

  // --- observations ---
  std::vector<std::string> events() const { return Get(events_); }
  std::vector<v1::RegisterWorkerRequest> registrations() const { return Get(registrations_); }
  std::vector<v1::HeartbeatRequest> heartbeats() const { return Get(heartbeats_); }
  std::vector<v1::CompleteTaskRequest> completes() const { return Get(completes_); }
  std::vector<v1::FailTaskRequest> fails() const { return Get(fails_); }
  std::vector<v1::AppendLogsRequest> logs() const { return Get(logs_); }
  std::vector<v1::ReportProgressRequest> progress() const { return Get(progress_); }
  std::vector<v1::ReportMetricsRequest> metrics() const { return Get(metrics_); }
  std::vector<std::string> deregistered() const { return Get(deregistered_); }
  size_t queued_assignments() const { return Get(assignments_).size(); }
  int acquires_in_flight() const { return Get(acquires_in_flight_); }
  // All log lines received, in order.
  std::vector<v1::LogLine> log_lines() const {
    std::vector<v1::LogLine> lines;
    for (const auto& request : logs()) lines.insert(lines.end(), request.lines().begin(), request.lines().end());
    return lines;
  }

  // Polls `predicate` until it holds or `timeout` passes (the test then fails on its own assert).
  static bool WaitFor(const std::function<bool()>& predicate,
                      absl::Duration timeout = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!predicate()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // --- WorkerService ---
  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest* request,
                              v1::RegisterWorkerResponse* response) override {
    absl::MutexLock lock(&mu_);
    registrations_.push_back(*request);
    events_.push_back("RegisterWorker");
    const std::string id = absl::StrCat("w-", ++next_worker_);
    known_.insert(id);
    response->set_worker_id(id);
    response->set_lease_ms(lease_ms_);
    response->set_heartbeat_interval_ms(heartbeat_interval_ms_);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override {
    absl::MutexLock lock(&mu_);
    heartbeats_.push_back(*request);
    if (heartbeat_not_found_ || known_.count(request->worker_id()) == 0) {
      heartbeat_not_found_ = false;
      known_.erase(request->worker_id());
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + request->worker_id());
    }
    for (auto& command : commands_) *response->add_commands() = std::move(command);
    commands_.clear();
    response->set_lease_ms(lease_ms_);
    return grpc::Status::OK;
  }

  grpc::Status AcquireTask(grpc::ServerContext* context, const v1::AcquireTaskRequest* request,
                           v1::AcquireTaskResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++acquires_in_flight_;
    const absl::Time deadline = absl::Now() + absl::Milliseconds(request->wait_ms());
    auto ready = [this] { return !assignments_.empty(); };
    while (!context->IsCancelled() && absl::Now() < deadline) {
      if (mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(10))) break;
    }
    if (!context->IsCancelled() && !assignments_.empty()) {
      *response->mutable_assignment() = std::move(assignments_.front());
      assignments_.pop_front();
      events_.push_back("AcquireTask:" + response->assignment().attempt_id());
    }
    --acquires_in_flight_;
    return grpc::Status::OK;
  }

  grpc::Status ReportProgress(grpc::ServerContext*, const v1::ReportProgressRequest* request,
                              v1::ReportProgressResponse*) override {
    return Record(progress_, *request, "ReportProgress");
  }
  grpc::Status ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* request,
                             v1::ReportMetricsResponse*) override {
    return Record(metrics_, *request, "ReportMetrics");
  }
  grpc::Status AppendLogs(grpc::ServerContext*, const v1::AppendLogsRequest* request,
                          v1::AppendLogsResponse*) override {
    return Record(logs_, *request, "AppendLogs");
  }
  grpc::Status CompleteTask(grpc::ServerContext*, const v1::CompleteTaskRequest* request,
                            v1::CompleteTaskResponse*) override {
    absl::MutexLock lock(&mu_);
    completes_.push_back(*request);
    events_.push_back("CompleteTask:" + request->assignment().attempt_id());
    return complete_status_;
  }
  grpc::Status FailTask(grpc::ServerContext*, const v1::FailTaskRequest* request,
                        v1::FailTaskResponse*) override {
    absl::MutexLock lock(&mu_);
    fails_.push_back(*request);
    events_.push_back("FailTask:" + request->assignment().attempt_id());
    return grpc::Status::OK;
  }
  grpc::Status DeregisterWorker(grpc::ServerContext* context,
                                const v1::DeregisterWorkerRequest* request,
                                v1::DeregisterWorkerResponse*) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      deregistered_.push_back(request->worker_id());
      events_.push_back("DeregisterWorker");
      delay = deregister_delay_;
    }
    const absl::Time until = absl::Now() + delay;
    while (absl::Now() < until && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(10));
    return grpc::Status::OK;
  }

  grpc::Status KvSet(grpc::ServerContext*, const v1::KvSetRequest* request,
                     v1::KvSetResponse*) override {
    absl::MutexLock lock(&mu_);
    kv_[request->attempt_id()][request->key()] = request->value();
    return grpc::Status::OK;
  }
  grpc::Status KvGet(grpc::ServerContext*, const v1::KvGetRequest* request,
                     v1::KvGetResponse* response) override {
    absl::MutexLock lock(&mu_);
    const auto& store = kv_[request->attempt_id()];
    auto it = store.find(request->key());
    response->set_found(it != store.end());
    if (it != store.end()) response->set_value(it->second);
    return grpc::Status::OK;
  }
  grpc::Status KvWait(grpc::ServerContext*, const v1::KvWaitRequest* request,
                      v1::KvWaitResponse* response) override {
    absl::MutexLock lock(&mu_);
    auto all_set = [&] {
      const auto& store = kv_[request->attempt_id()];
      for (const auto& key : request->keys()) {
        if (store.count(key) == 0) return false;
      }
      return true;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_set), absl::Milliseconds(request->timeout_ms()))) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "keys not set in time");
    }
    for (const auto& key : request->keys()) response->add_values(kv_[request->attempt_id()][key]);
    return grpc::Status::OK;
  }

 private:
  template <typename F>
  void Locked(F f) {
    absl::MutexLock lock(&mu_);
    f();
  }
  template <typename T>
  T Get(const T& field) const {
    absl::MutexLock lock(&mu_);
    return field;
  }
  template <typename T>
  grpc::Status Record(std::vector<T>& into, const T& request, const char* event) {
    absl::MutexLock lock(&mu_);
    into.push_back(request);
    events_.push_back(event);
    return grpc::Status::OK;
  }

  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  std::set<std::string> known_;
  int next_worker_ = 0;
  int heartbeat_interval_ms_ = 20;
  int lease_ms_ = 10000;
  bool heartbeat_not_found_ = false;
  grpc::Status complete_status_ = grpc::Status::OK;
  absl::Duration deregister_delay_;
  int acquires_in_flight_ = 0;
  std::deque<v1::Assignment> assignments_;
  std::vector<v1::WorkerCommand> commands_;
  std::vector<std::string> events_;
  std::vector<v1::RegisterWorkerRequest> registrations_;
  std::vector<v1::HeartbeatRequest> heartbeats_;
  std::vector<v1::CompleteTaskRequest> completes_;
  std::vector<v1::FailTaskRequest> fails_;
  std::vector<v1::AppendLogsRequest> logs_;
  std::vector<v1::ReportProgressRequest> progress_;
  std::vector<v1::ReportMetricsRequest> metrics_;
  std::vector<std::string> deregistered_;
  std::map<std::string, std::map<std::string, std::string>> kv_;
};

}  // namespace ecgbench::worker::testing
