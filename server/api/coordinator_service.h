// CoordinatorService: the client API over gRPC. Thin: every handler first authorizes the call
// (server/api/authorizer.h; submitters see only their own experiments), then converts the request
// to Manager calls and absl::Status to grpc::Status; streams poll the Manager's event and log tables.
#pragma once

#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "server/api/authorizer.h"
#include "server/experiments/manager.h"

namespace ecgbench::server {

class CoordinatorService final : public v1::Coordinator::Service {
 public:
  // Both must outlive this.
  CoordinatorService(Manager* manager, const Authorizer* authorizer) : manager_(manager), authorizer_(authorizer) {}

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
  // The caller, or the error to return: authorization, then (for submitters) experiment ownership
  // when `experiment_id` is not empty.
  absl::StatusOr<Principal> Admit(grpc::ServerContext* ctx, absl::string_view method, const std::string& experiment_id);

  Manager* const manager_;
  const Authorizer* const authorizer_;
};

}  // namespace ecgbench::server
