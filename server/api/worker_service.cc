// Worker API handlers.
#include "server/api/worker_service.h"

#include "common/rpc/status_conversion.h"

namespace ecgbench::server {

using common::ToGrpcStatus;

namespace {
template <typename T, typename R>
grpc::Status Reply(absl::StatusOr<T> r, R* resp) {
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}
}  // namespace

grpc::Status WorkerService::RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest* req,
                                           v1::RegisterWorkerResponse* resp) {
  return Reply(manager_->RegisterWorker(*req), resp);
}

grpc::Status WorkerService::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) {
  return Reply(manager_->Heartbeat(*req), resp);
}

grpc::Status WorkerService::AcquireTask(grpc::ServerContext*, const v1::AcquireTaskRequest* req,
                                        v1::AcquireTaskResponse* resp) {
  auto r = manager_->AcquireTask(req->worker_id(), req->wait_ms());
  if (!r.ok()) return ToGrpcStatus(r.status());
  if (r->has_value()) *resp->mutable_assignment() = std::move(**r);
  return grpc::Status::OK;
}

grpc::Status WorkerService::ReportProgress(grpc::ServerContext*, const v1::ReportProgressRequest* req,
                                           v1::ReportProgressResponse*) {
  return ToGrpcStatus(manager_->ReportProgress(*req));
}

grpc::Status WorkerService::ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* req,
                                          v1::ReportMetricsResponse*) {
  return ToGrpcStatus(manager_->ReportMetrics(*req));
}

grpc::Status WorkerService::AppendLogs(grpc::ServerContext*, const v1::AppendLogsRequest* req, v1::AppendLogsResponse*) {
  return ToGrpcStatus(manager_->AppendLogs(*req));
}

grpc::Status WorkerService::CompleteTask(grpc::ServerContext*, const v1::CompleteTaskRequest* req,
                                         v1::CompleteTaskResponse*) {
  return ToGrpcStatus(manager_->CompleteTask(*req));
}

grpc::Status WorkerService::FailTask(grpc::ServerContext*, const v1::FailTaskRequest* req, v1::FailTaskResponse*) {
  return ToGrpcStatus(manager_->FailTask(*req));
}

grpc::Status WorkerService::DeregisterWorker(grpc::ServerContext*, const v1::DeregisterWorkerRequest* req,
                                             v1::DeregisterWorkerResponse*) {
  return ToGrpcStatus(manager_->DeregisterWorker(req->worker_id()));
}

grpc::Status WorkerService::KvSet(grpc::ServerContext*, const v1::KvSetRequest* req, v1::KvSetResponse*) {
  return ToGrpcStatus(manager_->KvSet(*req));
}

grpc::Status WorkerService::KvGet(grpc::ServerContext*, const v1::KvGetRequest* req, v1::KvGetResponse* resp) {
  return Reply(manager_->KvGet(*req), resp);
}

grpc::Status WorkerService::KvWait(grpc::ServerContext*, const v1::KvWaitRequest* req, v1::KvWaitResponse* resp) {
  return Reply(manager_->KvWait(*req), resp);
}

}  // namespace ecgbench::server
