// CoordinatorClient: the CLI's unary calls to the coordinator, each with a deadline (--timeout) and
// retried on UNAVAILABLE (up to max_retries times, exponential backoff). Every call is safe to
// retry: submissions carry a request id, so a retry never creates a second experiment. Errors keep
// the server's code and message; UNAVAILABLE and DEADLINE_EXCEEDED name the address. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "common/rpc/channel.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"

namespace ecgbench::client {

struct ClientOptions {
  std::string address = "127.0.0.1:50051";
  double timeout_seconds = 30;  // deadline of each unary attempt
  int max_retries = 3;          // extra attempts after UNAVAILABLE
  int initial_backoff_ms = 250; // doubles per retry
  common::ChannelSecurity security;  // TLS and bearer token (docs/security.md)
};

class CoordinatorClient {
 public:
  explicit CoordinatorClient(const ClientOptions& options);

  absl::StatusOr<v1::SubmitExperimentResponse> Submit(const v1::SubmitExperimentRequest& request);
  absl::StatusOr<v1::Experiment> GetExperiment(const std::string& id);
  absl::StatusOr<v1::ListExperimentsResponse> ListExperiments(const v1::ListExperimentsRequest& request);
  absl::StatusOr<v1::Experiment> CancelExperiment(const std::string& id, const std::string& reason);
  absl::StatusOr<v1::GetResultsResponse> GetResults(const std::string& id);
  absl::StatusOr<v1::ListWorkersResponse> ListWorkers(bool include_gone);
  // grpc.health.v1.Health/Check (open to every caller, no role needed): true when `service` ("" is
  // the server as a whole) is SERVING, false when NOT_SERVING or unknown. One attempt, no retries.
  absl::StatusOr<bool> Health(const std::string& service);

  // For the server streams (WatchExperiment, StreamLogs); callers own their contexts.
  v1::Coordinator::Stub& stub() { return *stub_; }
  const ClientOptions& options() const { return options_; }

  // The status of a failed call or stream as shown to people: UNAVAILABLE and DEADLINE_EXCEEDED
  // say which coordinator address did not answer; other codes keep the server's message.
  absl::Status Describe(const grpc::Status& status, const char* method) const;

 private:
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(const char* method,
                                grpc::Status (v1::Coordinator::Stub::*fn)(grpc::ClientContext*, const Request&,
                                                                          Response*),
                                const Request& request);

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

}  // namespace ecgbench::client
