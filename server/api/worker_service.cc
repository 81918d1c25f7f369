// Worker API handlers.
#include "server/api/worker_service.h"

#include "common/rpc/status_conversion.h"
#include "server/api/call_auth.h"

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

grpc::Status WorkerService::Admit(grpc::ServerContext* ctx, const char* method) const {
  auto admitted = AuthorizeCall(*authorizer_, *ctx, std::string("/ecgbench.v1.WorkerService/") + method);
  return admitted.ok() ? grpc::Status::OK : ToGrpcStatus(admitted.status());
}

grpc::Status WorkerService::RegisterWorker(grpc::ServerContext* ctx, const v1::RegisterWorkerRequest* req,
                                           v1::RegisterWorkerResponse* resp) {
  if (grpc::Status st = Admit(ctx, "RegisterWorker"); !st.ok()) return st;
  return Reply(manager_->RegisterWorker(*req), resp);
}

grpc::Status WorkerService::Heartbeat(grpc::ServerContext* ctx, const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) {
  if (grpc::Status st = Admit(ctx, "Heartbeat"); !st.ok()) return st;
  return Reply(manager_->Heartbeat(*req), resp);
}

grpc::Status WorkerService::AcquireTask(grpc::ServerContext* ctx, const v1::AcquireTaskRequest* req,
                                        v1::AcquireTaskResponse* resp) {
  if (grpc::Status st = Admit(ctx, "AcquireTask"); !st.ok()) return st;
  auto r = manager_->AcquireTask(req->worker_id(), req->wait_ms());
  if (!r.ok()) return ToGrpcStatus(r.status());
  if (r->has_value()) *resp->mutable_assignment() = std::move(**r);
  return grpc::Status::OK;
}

grpc::Status WorkerService::ReportProgress(grpc::ServerContext* ctx, const v1::ReportProgressRequest* req,
                                           v1::ReportProgressResponse*) {
  if (grpc::Status st = Admit(ctx, "ReportProgress"); !st.ok()) return st;
  return ToGrpcStatus(manager_->ReportProgress(*req));
}

grpc::Status WorkerService::ReportMetrics(grpc::ServerContext* ctx, const v1::ReportMetricsRequest* req,
                                          v1::ReportMetricsResponse*) {
  if (grpc::Status st = Admit(ctx, "ReportMetrics"); !st.ok()) return st;
  return ToGrpcStatus(manager_->ReportMetrics(*req));
}

grpc::Status WorkerService::AppendLogs(grpc::ServerContext* ctx, const v1::AppendLogsRequest* req, v1::AppendLogsResponse*) {
  if (grpc::Status st = Admit(ctx, "AppendLogs"); !st.ok()) return st;
  return ToGrpcStatus(manager_->AppendLogs(*req));
}

grpc::Status WorkerService::CompleteTask(grpc::ServerContext* ctx, const v1::CompleteTaskRequest* req,
                                         v1::CompleteTaskResponse*) {
  if (grpc::Status st = Admit(ctx, "CompleteTask"); !st.ok()) return st;
  return ToGrpcStatus(manager_->CompleteTask(*req));
}

grpc::Status WorkerService::FailTask(grpc::ServerContext* ctx, const v1::FailTaskRequest* req, v1::FailTaskResponse*) {
  if (grpc::Status st = Admit(ctx, "FailTask"); !st.ok()) return st;
  return ToGrpcStatus(manager_->FailTask(*req));
}

grpc::Status WorkerService::DeregisterWorker(grpc::ServerContext* ctx, const v1::DeregisterWorkerRequest* req,
                                             v1::DeregisterWorkerResponse*) {
  if (grpc::Status st = Admit(ctx, "DeregisterWorker"); !st.ok()) return st;
  return ToGrpcStatus(manager_->DeregisterWorker(req->worker_id()));
}

grpc::Status WorkerService::KvSet(grpc::ServerContext* ctx, const v1::KvSetRequest* req, v1::KvSetResponse*) {
  if (grpc::Status st = Admit(ctx, "KvSet"); !st.ok()) return st;
  return ToGrpcStatus(manager_->KvSet(*req));
}

grpc::Status WorkerService::KvGet(grpc::ServerContext* ctx, const v1::KvGetRequest* req, v1::KvGetResponse* resp) {
  if (grpc::Status st = Admit(ctx, "KvGet"); !st.ok()) return st;
  return Reply(manager_->KvGet(*req), resp);
}

grpc::Status WorkerService::KvWait(grpc::ServerContext* ctx, const v1::KvWaitRequest* req, v1::KvWaitResponse* resp) {
  if (grpc::Status st = Admit(ctx, "KvWait"); !st.ok()) return st;
  return Reply(manager_->KvWait(*req), resp);
}

}  // namespace ecgbench::server
