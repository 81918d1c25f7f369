// CoordinatorService: the client API over gRPC. Thin: converts requests to Manager calls and
// absl::Status to grpc::Status; streams poll the Manager's event and log tables.
#pragma once

#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "server/experiments/manager.h"

namespace ecgbench::server {

class CoordinatorService final : public v1::Coordinator::Service {
 public:
  explicit CoordinatorService(Manager* manager) : manager_(manager) {}  // manager must outlive this

  grpc::Status SubmitExperiment(grpc::ServerContext* ctx, const v1::SubmitExperimentRequest* req,
                                v1::SubmitExperimentResponse* resp) override;
  grpc::Status GetExperiment(grpc::ServerContext* ctx, const v1::GetExperimentRequest* req,
                             v1::GetExperimentResponse* resp) override;
  grpc::Status ListExperiments(grpc::ServerContext* ctx, const v1::ListExperimentsRequest* req,
                               v1::ListExperimentsResponse* resp) override;
  grpc::Status CancelExperiment(grpc::ServerContext* ctx, const v1::CancelExperimentRequest* req,
                                v1::CancelExperimentResponse* resp) override;
  grpc::Status WatchExperiment(grpc::ServerContext* ctx, const v1::WatchExperimentRequest* req,
                               grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status StreamLogs(grpc::ServerContext* ctx, const v1::StreamLogsRequest* req,
                          grpc::ServerWriter<v1::LogLine>* writer) override;
  grpc::Status GetResults(grpc::ServerContext* ctx, const v1::GetResultsRequest* req,
                          v1::GetResultsResponse* resp) override;
  grpc::Status ListWorkers(grpc::ServerContext* ctx, const v1::ListWorkersRequest* req,
                           v1::ListWorkersResponse* resp) override;

 private:
  Manager* const manager_;
};

}  // namespace ecgbench::server
