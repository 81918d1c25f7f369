// Client API handlers.
#include "server/api/coordinator_service.h"

#include "common/rpc/status_conversion.h"

namespace ecgbench::server {

using common::ToGrpcStatus;

namespace {
constexpr int kPage = 500;
constexpr int kPollMs = 1000;
// Clients resume a stream from their last sequence number once the coordinator is back.
const grpc::Status kShuttingDown(grpc::StatusCode::UNAVAILABLE, "coordinator is shutting down");
}  // namespace

grpc::Status CoordinatorService::SubmitExperiment(grpc::ServerContext*, const v1::SubmitExperimentRequest* req,
                                                  v1::SubmitExperimentResponse* resp) {
  auto r = manager_->Submit(*req);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp->mutable_experiment() = std::move(r->experiment);
  resp->set_created(r->created);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::GetExperiment(grpc::ServerContext*, const v1::GetExperimentRequest* req,
                                               v1::GetExperimentResponse* resp) {
  auto r = manager_->GetExperiment(req->id(), /*with_runs=*/true);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp->mutable_experiment() = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::ListExperiments(grpc::ServerContext*, const v1::ListExperimentsRequest* req,
                                                 v1::ListExperimentsResponse* resp) {
  auto r = manager_->ListExperiments(*req);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::CancelExperiment(grpc::ServerContext*, const v1::CancelExperimentRequest* req,
                                                  v1::CancelExperimentResponse* resp) {
  auto r = manager_->Cancel(req->id(), req->reason());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp->mutable_experiment() = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::WatchExperiment(grpc::ServerContext* ctx, const v1::WatchExperimentRequest* req,
                                                 grpc::ServerWriter<v1::Event>* writer) {
  int64_t after = req->after_seq();
  while (!ctx->IsCancelled()) {
    auto [event_mark, log_mark] = manager_->Watermarks();
    bool terminal = false;
    auto events = manager_->ReadEvents(req->id(), after, kPage, &terminal);
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (const auto& ev : *events) {
      if (!writer->Write(ev)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      after = ev.seq();
    }
    if (static_cast<int>(events->size()) == kPage) continue;
    if (terminal) return grpc::Status::OK;  // every event up to the terminal one was sent
    if (!manager_->WaitForNews(event_mark, log_mark, kPollMs)) return kShuttingDown;
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
}

grpc::Status CoordinatorService::StreamLogs(grpc::ServerContext* ctx, const v1::StreamLogsRequest* req,
                                            grpc::ServerWriter<v1::LogLine>* writer) {
  LogQuery q;
  q.experiment_id = req->experiment_id();
  q.run_id = req->run_id();
  q.stage = req->stage();
  q.task_id = req->task_id();
  if (req->has_rank()) q.rank = req->rank();
  q.min_level = req->min_level();
  q.after_seq = req->after_seq();
  q.limit = kPage;
  while (!ctx->IsCancelled()) {
    auto [event_mark, log_mark] = manager_->Watermarks();
    bool terminal = false;
    auto lines = manager_->ReadLogs(q, &terminal);
    if (!lines.ok()) return ToGrpcStatus(lines.status());
    for (const auto& line : *lines) {
      if (!writer->Write(line)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      q.after_seq = line.seq();
    }
    if (static_cast<int>(lines->size()) == kPage) continue;
    if (!req->follow() || terminal) return grpc::Status::OK;
    if (!manager_->WaitForNews(event_mark, log_mark, kPollMs)) return kShuttingDown;
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "log stream cancelled");
}

grpc::Status CoordinatorService::GetResults(grpc::ServerContext*, const v1::GetResultsRequest* req,
                                            v1::GetResultsResponse* resp) {
  auto r = manager_->GetResults(req->id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* req,
                                             v1::ListWorkersResponse* resp) {
  for (auto& w : manager_->ListWorkers(req->include_gone())) *resp->add_workers() = std::move(w);
  return grpc::Status::OK;
}

}  // namespace ecgbench::server
