// Unary RPCs with deadlines and retries on UNAVAILABLE.
#include "client/commands/coordinator_client.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/channel.h"
#include "common/rpc/status_conversion.h"
#include "spdlog/spdlog.h"

namespace ecgbench::client {

CoordinatorClient::CoordinatorClient(const ClientOptions& options)
    : options_(options),
      channel_(common::MakeChannel(common::ChannelOptions{options.address})),
      stub_(v1::Coordinator::NewStub(channel_)) {}

absl::Status CoordinatorClient::Describe(const grpc::Status& status, const char* method) const {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat("coordinator at ", options_.address, " is unavailable (", method,
                                                 "): ", status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(absl::StrCat("coordinator at ", options_.address, " did not answer ",
                                                      method, " within ", options_.timeout_seconds, " s"));
    default: return common::ToAbslStatus(status);
  }
}

template <typename Request, typename Response>
absl::StatusOr<Response> CoordinatorClient::Call(
    const char* method, grpc::Status (v1::Coordinator::Stub::*fn)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  int backoff_ms = options_.initial_backoff_ms;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000)));
    Response response;
    const grpc::Status status = ((*stub_).*fn)(&context, request, &response);
    if (status.ok()) return response;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= options_.max_retries) {
      return Describe(status, method);
    }
    spdlog::debug("{}: {} (attempt {}), retrying in {} ms", method, status.error_message(), attempt + 1, backoff_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms *= 2;
  }
}

absl::StatusOr<v1::SubmitExperimentResponse> CoordinatorClient::Submit(const v1::SubmitExperimentRequest& request) {
  return Call("SubmitExperiment", &v1::Coordinator::Stub::SubmitExperiment, request);
}

absl::StatusOr<v1::Experiment> CoordinatorClient::GetExperiment(const std::string& id) {
  v1::GetExperimentRequest request;
  request.set_id(id);
  auto response = Call("GetExperiment", &v1::Coordinator::Stub::GetExperiment, request);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_experiment());
}

absl::StatusOr<v1::ListExperimentsResponse> CoordinatorClient::ListExperiments(
    const v1::ListExperimentsRequest& request) {
  return Call("ListExperiments", &v1::Coordinator::Stub::ListExperiments, request);
}

absl::StatusOr<v1::Experiment> CoordinatorClient::CancelExperiment(const std::string& id, const std::string& reason) {
  v1::CancelExperimentRequest request;
  request.set_id(id);
  request.set_reason(reason);
  auto response = Call("CancelExperiment", &v1::Coordinator::Stub::CancelExperiment, request);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_experiment());
}

absl::StatusOr<v1::GetResultsResponse> CoordinatorClient::GetResults(const std::string& id) {
  v1::GetResultsRequest request;
  request.set_id(id);
  return Call("GetResults", &v1::Coordinator::Stub::GetResults, request);
}

absl::StatusOr<v1::ListWorkersResponse> CoordinatorClient::ListWorkers(bool include_gone) {
  v1::ListWorkersRequest request;
  request.set_include_gone(include_gone);
  return Call("ListWorkers", &v1::Coordinator::Stub::ListWorkers, request);
}

}  // namespace ecgbench::client
