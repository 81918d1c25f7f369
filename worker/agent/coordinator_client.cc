// CoordinatorClient implementation: one generic unary call with a deadline, and thin wrappers
// that fill in the worker id.
#include "worker/agent/coordinator_client.h"

#include <chrono>
#include <utility>

#include "common/rpc/status_conversion.h"

namespace ecgbench::worker {

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

CoordinatorClient::CoordinatorClient(std::shared_ptr<grpc::Channel> channel,
                                     absl::Duration call_timeout)
    : stub_(v1::WorkerService::NewStub(channel)), call_timeout_(call_timeout) {}

std::string CoordinatorClient::worker_id() const {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

void CoordinatorClient::set_worker_id(std::string worker_id) {
  absl::MutexLock lock(&mu_);
  worker_id_ = std::move(worker_id);
}

template <typename Request, typename Response>
absl::StatusOr<Response> CoordinatorClient::Call(Method<Request, Response> method,
                                                 const Request& request, absl::Duration timeout,
                                                 grpc::ClientContext* context, bool wait_for_ready) {
  grpc::ClientContext local;
  if (context == nullptr) context = &local;
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  context->set_wait_for_ready(wait_for_ready);
  Response response;
  grpc::Status status = ((*stub_).*method)(context, request, &response);
  if (!status.ok()) return common::ToAbslStatus(status);
  return response;
}

absl::StatusOr<v1::RegisterWorkerResponse> CoordinatorClient::RegisterWorker(
    const v1::RegisterWorkerRequest& request) {
  return Call(&v1::WorkerService::Stub::RegisterWorker, request, call_timeout_);
}

absl::StatusOr<v1::HeartbeatResponse> CoordinatorClient::Heartbeat(v1::HeartbeatRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::Heartbeat, *request, call_timeout_, nullptr, /*wait_for_ready=*/true);
}

absl::StatusOr<v1::AcquireTaskResponse> CoordinatorClient::AcquireTask(
    int wait_ms, grpc::ClientContext* context) {
  v1::AcquireTaskRequest request;
  request.set_worker_id(worker_id());
  request.set_wait_ms(wait_ms);
  return Call(&v1::WorkerService::Stub::AcquireTask, request,
              absl::Milliseconds(wait_ms) + call_timeout_, context);
}

absl::Status CoordinatorClient::ReportProgress(v1::ReportProgressRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::ReportProgress, *request, call_timeout_).status();
}

absl::Status CoordinatorClient::ReportMetrics(v1::ReportMetricsRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::ReportMetrics, *request, call_timeout_).status();
}

absl::Status CoordinatorClient::AppendLogs(v1::AppendLogsRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::AppendLogs, *request, call_timeout_).status();
}

absl::Status CoordinatorClient::CompleteTask(v1::CompleteTaskRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::CompleteTask, *request, call_timeout_).status();
}

absl::Status CoordinatorClient::FailTask(v1::FailTaskRequest* request) {
  request->set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::FailTask, *request, call_timeout_).status();
}

absl::Status CoordinatorClient::DeregisterWorker(absl::Duration timeout) {
  v1::DeregisterWorkerRequest request;
  request.set_worker_id(worker_id());
  return Call(&v1::WorkerService::Stub::DeregisterWorker, request, timeout).status();
}

absl::Status CoordinatorClient::KvSet(const std::string& attempt_id, const std::string& key,
                                      const std::string& value) {
  v1::KvSetRequest request;
  request.set_worker_id(worker_id());
  request.set_attempt_id(attempt_id);
  request.set_key(key);
  request.set_value(value);
  return Call(&v1::WorkerService::Stub::KvSet, request, call_timeout_).status();
}

absl::StatusOr<std::optional<std::string>> CoordinatorClient::KvGet(const std::string& attempt_id,
                                                                    const std::string& key) {
  v1::KvGetRequest request;
  request.set_worker_id(worker_id());
  request.set_attempt_id(attempt_id);
  request.set_key(key);
  auto response = Call(&v1::WorkerService::Stub::KvGet, request, call_timeout_);
  if (!response.ok()) return response.status();
  if (!response->found()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(*response->mutable_value()));
}

absl::StatusOr<std::vector<std::string>> CoordinatorClient::KvWait(
    const std::string& attempt_id, const std::vector<std::string>& keys, int timeout_ms) {
  v1::KvWaitRequest request;
  request.set_worker_id(worker_id());
  request.set_attempt_id(attempt_id);
  for (const std::string& key : keys) request.add_keys(key);
  request.set_timeout_ms(timeout_ms);
  auto response = Call(&v1::WorkerService::Stub::KvWait, request,
                       absl::Milliseconds(timeout_ms) + call_timeout_);
  if (!response.ok()) return response.status();
  if (response->values_size() != static_cast<int>(keys.size())) {
    return absl::InternalError("KvWait: the coordinator returned " +
                               std::to_string(response->values_size()) + " values for " +
                               std::to_string(keys.size()) + " keys");
  }
  return std::vector<std::string>(response->values().begin(), response->values().end());
}

}  // namespace ecgbench::worker
