// Unary RPCs with deadlines and retries on UNAVAILABLE.
#include "client/commands/coordinator_client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/channel.h"
#include "common/rpc/status_conversion.h"
#include "spdlog/spdlog.h"

namespace ecgbench::client {

CoordinatorClient::CoordinatorClient(const ClientOptions& options)
    : options_(options),
      channel_(common::MakeChannel(common::ChannelOptions{options.address, options.security})),
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

absl::StatusOr<bool> CoordinatorClient::Health(const std::string& service) {
  // HealthCheckRequest {string service = 1}, encoded by hand: the health .proto is not part of
  // Debian's gRPC headers.
  std::string request_bytes;
  if (!service.empty()) {
    request_bytes.push_back(0x0a);  // field 1, length-delimited
    for (size_t n = service.size(); ; n >>= 7) {
      request_bytes.push_back(static_cast<char>(n < 0x80 ? n : ((n & 0x7f) | 0x80)));
      if (n < 0x80) break;
    }
    request_bytes += service;
  }
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000)));
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      generic.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return Describe(status, "Health/Check");
  // HealthCheckResponse {ServingStatus status = 1}: SERVING is 1.
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("Health/Check: unreadable response");
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes.size() == 2 && bytes[0] == 0x08 && bytes[1] == 0x01;
}

}  // namespace ecgbench::client
