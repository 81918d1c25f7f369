// The scripted in-process coordinator used by the client tests.
#include "tests/unit/client/fake_coordinator.h"

#include <algorithm>

namespace ecgbench::client::testing {

grpc::Status FakeCoordinator::SubmitExperiment(grpc::ServerContext*, const v1::SubmitExperimentRequest* request,
                                               v1::SubmitExperimentResponse* response) {
  absl::MutexLock lock(&mu);
  submits.push_back(*request);
  if (submit_unavailable > 0) {
    --submit_unavailable;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "coordinator restarting");
  }
  if (!submit_error.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, submit_error);
  *response->mutable_experiment() = experiment;
  response->set_created(++submits_answered == 1);
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::GetExperiment(grpc::ServerContext*, const v1::GetExperimentRequest* request,
                                            v1::GetExperimentResponse* response) {
  absl::MutexLock lock(&mu);
  if (request->id() != experiment.id()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "experiment " + request->id() + " not found");
  }
  *response->mutable_experiment() = experiment;
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::ListExperiments(grpc::ServerContext*, const v1::ListExperimentsRequest* request,
                                              v1::ListExperimentsResponse* response) {
  absl::MutexLock lock(&mu);
  list_page_sizes.push_back(request->page_size());
  const size_t start = request->page_token().empty() ? 0 : std::stoul(request->page_token());
  const size_t end = std::min(listing.size(), start + std::min<size_t>(2, request->page_size()));
  for (size_t i = start; i < end; ++i) *response->add_experiments() = listing[i];
  if (end < listing.size()) response->set_next_page_token(std::to_string(end));
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::CancelExperiment(grpc::ServerContext*, const v1::CancelExperimentRequest* request,
                                               v1::CancelExperimentResponse* response) {
  absl::MutexLock lock(&mu);
  cancels.push_back(*request);
  if (!(experiment.state() == v1::STATE_SUCCEEDED || experiment.state() == v1::STATE_FAILED || experiment.state() == v1::STATE_CANCELLED)) experiment.set_state(v1::STATE_CANCELLING);
  *response->mutable_experiment() = experiment;
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::WatchExperiment(grpc::ServerContext* context, const v1::WatchExperimentRequest* request,
                                              grpc::ServerWriter<v1::Event>* writer) {
  std::vector<v1::Event> to_send;
  int fail_after = -1;
  {
    absl::MutexLock lock(&mu);
    watch_after_seqs.push_back(request->after_seq());
    fail_after = watch_unavailable_after;
    watch_unavailable_after = -1;
    for (const auto& e : events) {
      if (e.seq() > request->after_seq()) to_send.push_back(e);
    }
  }
  int sent = 0;
  for (const auto& e : to_send) {
    if (sent == fail_after) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset");
    writer->Write(e);
    ++sent;
  }
  absl::MutexLock lock(&mu);
  if (hold_watch_until_cancel) {
    auto cancelled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return !cancels.empty(); };
    while (!mu.AwaitWithTimeout(absl::Condition(&cancelled), absl::Milliseconds(20))) {
      if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    experiment.set_state(v1::STATE_CANCELLED);
    v1::Event done;
    done.set_seq(events.empty() ? 1000 : events.back().seq() + 1);
    done.mutable_state_change()->set_entity("experiment");
    done.mutable_state_change()->set_entity_id(experiment.id());
    done.mutable_state_change()->set_state(v1::STATE_CANCELLED);
    writer->Write(done);
    return grpc::Status::OK;
  }
  experiment.set_state(state_after_watch);
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::StreamLogs(grpc::ServerContext*, const v1::StreamLogsRequest* request,
                                         grpc::ServerWriter<v1::LogLine>* writer) {
  std::vector<v1::LogLine> lines;
  {
    absl::MutexLock lock(&mu);
    log_requests.push_back(*request);
    lines = logs;
  }
  for (const auto& l : lines) writer->Write(l);
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::GetResults(grpc::ServerContext*, const v1::GetResultsRequest* request,
                                         v1::GetResultsResponse* response) {
  absl::MutexLock lock(&mu);
  if (request->id() != experiment.id()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such experiment");
  *response = results;
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest*,
                                          v1::ListWorkersResponse*) {
  return grpc::Status::OK;
}

FakeServer::FakeServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&fake_);
  server_ = builder.BuildAndStart();
}

FakeServer::~FakeServer() { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }

}  // namespace ecgbench::client::testing
