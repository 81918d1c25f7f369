// WorkerService: the worker API over gRPC (registration, leases, tasks, reports, rendezvous KV).
// Thin: every handler authorizes the call (role worker) and makes one Manager call.
#pragma once

#include "ecgbench/v1/worker.grpc.pb.h"
#include "server/api/authorizer.h"
#include "server/experiments/manager.h"

namespace ecgbench::server {

class WorkerService final : public v1::WorkerService::Service {
 public:
  // Both must outlive this.
  WorkerService(Manager* manager, const Authorizer* authorizer) : manager_(manager), authorizer_(authorizer) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest*, v1::RegisterWorkerResponse*) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest*, v1::HeartbeatResponse*) override;
  grpc::Status AcquireTask(grpc::ServerContext*, const v1::AcquireTaskRequest*, v1::AcquireTaskResponse*) override;
  grpc::Status ReportProgress(grpc::ServerContext*, const v1::ReportProgressRequest*, v1::ReportProgressResponse*) override;
  grpc::Status ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest*, v1::ReportMetricsResponse*) override;
  grpc::Status AppendLogs(grpc::ServerContext*, const v1::AppendLogsRequest*, v1::AppendLogsResponse*) override;
  grpc::Status CompleteTask(grpc::ServerContext*, const v1::CompleteTaskRequest*, v1::CompleteTaskResponse*) override;
  grpc::Status FailTask(grpc::ServerContext*, const v1::FailTaskRequest*, v1::FailTaskResponse*) override;
  grpc::Status DeregisterWorker(grpc::ServerContext*, const v1::DeregisterWorkerRequest*,
                                v1::DeregisterWorkerResponse*) override;
  grpc::Status KvSet(grpc::ServerContext*, const v1::KvSetRequest*, v1::KvSetResponse*) override;
  grpc::Status KvGet(grpc::ServerContext*, const v1::KvGetRequest*, v1::KvGetResponse*) override;
  grpc::Status KvWait(grpc::ServerContext*, const v1::KvWaitRequest*, v1::KvWaitResponse*) override;

 private:
  // OK when the caller may call WorkerService/<method> (role worker), else the error to return.
  grpc::Status Admit(grpc::ServerContext* ctx, const char* method) const;

  Manager* const manager_;
  const Authorizer* const authorizer_;
};

}  // namespace ecgbench::server
