// FakeCoordinator: an in-process Coordinator service on 127.0.0.1:<free port> with scripted
// answers, recording what the CLI sent. Thread-safe (gRPC calls handlers on its own threads).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"

namespace ecgbench::client::testing {

class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  // Script: set before the CLI runs (under mu).
  absl::Mutex mu;
  int submit_unavailable ABSL_GUARDED_BY(mu) = 0;   // UNAVAILABLE for the first N submissions
  std::string submit_error ABSL_GUARDED_BY(mu);     // non-empty: INVALID_ARGUMENT with this text
  v1::Experiment experiment ABSL_GUARDED_BY(mu);    // what Get/Submit/Cancel answer
  std::vector<v1::Event> events ABSL_GUARDED_BY(mu);
  int watch_unavailable_after ABSL_GUARDED_BY(mu) = -1;  // first watch: this many events, then UNAVAILABLE
  bool hold_watch_until_cancel ABSL_GUARDED_BY(mu) = false;  // after the events, wait for CancelExperiment
  v1::State state_after_watch ABSL_GUARDED_BY(mu) = v1::STATE_SUCCEEDED;  // experiment state once streamed
  std::vector<v1::Experiment> listing ABSL_GUARDED_BY(mu);  // ListExperiments, pages of at most 2
  v1::GetResultsResponse results ABSL_GUARDED_BY(mu);
  std::vector<v1::LogLine> logs ABSL_GUARDED_BY(mu);
  // Records.
  std::vector<v1::SubmitExperimentRequest> submits ABSL_GUARDED_BY(mu);
  int submits_answered ABSL_GUARDED_BY(mu) = 0;
  std::vector<int64_t> watch_after_seqs ABSL_GUARDED_BY(mu);
  std::vector<int> list_page_sizes ABSL_GUARDED_BY(mu);
  std::vector<v1::CancelExperimentRequest> cancels ABSL_GUARDED_BY(mu);
  std::vector<v1::StreamLogsRequest> log_requests ABSL_GUARDED_BY(mu);

  grpc::Status SubmitExperiment(grpc::ServerContext*, const v1::SubmitExperimentRequest* request,
                                v1::SubmitExperimentResponse* response) override;
  grpc::Status GetExperiment(grpc::ServerContext*, const v1::GetExperimentRequest* request,
                             v1::GetExperimentResponse* response) override;
  grpc::Status ListExperiments(grpc::ServerContext*, const v1::ListExperimentsRequest* request,
                               v1::ListExperimentsResponse* response) override;
  grpc::Status CancelExperiment(grpc::ServerContext*, const v1::CancelExperimentRequest* request,
                                v1::CancelExperimentResponse* response) override;
  grpc::Status WatchExperiment(grpc::ServerContext* context, const v1::WatchExperimentRequest* request,
                               grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status StreamLogs(grpc::ServerContext*, const v1::StreamLogsRequest* request,
                          grpc::ServerWriter<v1::LogLine>* writer) override;
  grpc::Status GetResults(grpc::ServerContext*, const v1::GetResultsRequest* request,
                          v1::GetResultsResponse* response) override;
  grpc::Status ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest*, v1::ListWorkersResponse*) override;
};

// Serves a FakeCoordinator until destroyed.
class FakeServer {
 public:
  FakeServer();
  ~FakeServer();
  FakeCoordinator& fake() { return fake_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  FakeCoordinator fake_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace ecgbench::client::testing
