// Client API handlers.
#include "server/api/coordinator_service.h"

#include "absl/strings/str_cat.h"
#include "common/rpc/status_conversion.h"
#include "server/api/call_auth.h"

namespace ecgbench::server {

using common::ToGrpcStatus;

namespace {
constexpr int kPage = 500;
constexpr int kPollMs = 1000;
// Clients resume a stream from their last sequence number once the coordinator is back.
const grpc::Status kShuttingDown(grpc::StatusCode::UNAVAILABLE, "coordinator is shutting down");
}  // namespace

absl::StatusOr<Principal> CoordinatorService::Admit(grpc::ServerContext* ctx, absl::string_view method,
                                                    const std::string& experiment_id) {
  auto principal = AuthorizeCall(*authorizer_, *ctx, absl::StrCat("/ecgbench.v1.Coordinator/", method));
  if (!principal.ok() || principal->role != common::Role::kSubmitter || experiment_id.empty()) return principal;
  auto experiment = manager_->GetExperiment(experiment_id, /*with_runs=*/false);
  if (!experiment.ok()) return experiment.status();
  absl::Status access = CheckExperimentAccess(*principal, experiment_id, experiment->owner());
  if (!access.ok()) return access;
  return principal;
}

grpc::Status CoordinatorService::SubmitExperiment(grpc::ServerContext* ctx, const v1::SubmitExperimentRequest* req,
                                                  v1::SubmitExperimentResponse* resp) {
  auto principal = Admit(ctx, "SubmitExperiment", "");
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto r = manager_->Submit(*req, principal->name);
  if (!r.ok()) return ToGrpcStatus(r.status());
  // A request id names one submission of one owner: another submitter's id must not reveal theirs.
  if (!r->created && !req->validate_only()) {
    absl::Status access = CheckExperimentAccess(*principal, r->experiment.id(), r->experiment.owner());
    if (!access.ok()) return ToGrpcStatus(access);
  }
  *resp->mutable_experiment() = std::move(r->experiment);
  resp->set_created(r->created);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::GetExperiment(grpc::ServerContext* ctx, const v1::GetExperimentRequest* req,
                                               v1::GetExperimentResponse* resp) {
  if (auto principal = Admit(ctx, "GetExperiment", req->id()); !principal.ok()) return ToGrpcStatus(principal.status());
  auto r = manager_->GetExperiment(req->id(), /*with_runs=*/true);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp->mutable_experiment() = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::ListExperiments(grpc::ServerContext* ctx, const v1::ListExperimentsRequest* req,
                                                 v1::ListExperimentsResponse* resp) {
  auto principal = Admit(ctx, "ListExperiments", "");
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto r = manager_->ListExperiments(*req, OwnerFilter(*principal));
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::CancelExperiment(grpc::ServerContext* ctx, const v1::CancelExperimentRequest* req,
                                                  v1::CancelExperimentResponse* resp) {
  if (auto principal = Admit(ctx, "CancelExperiment", req->id()); !principal.ok()) return ToGrpcStatus(principal.status());
  auto r = manager_->Cancel(req->id(), req->reason());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp->mutable_experiment() = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::WatchExperiment(grpc::ServerContext* ctx, const v1::WatchExperimentRequest* req,
                                                 grpc::ServerWriter<v1::Event>* writer) {
  if (auto principal = Admit(ctx, "WatchExperiment", req->id()); !principal.ok()) return ToGrpcStatus(principal.status());
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
  if (auto principal = Admit(ctx, "StreamLogs", req->experiment_id()); !principal.ok()) return ToGrpcStatus(principal.status());
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

grpc::Status CoordinatorService::GetResults(grpc::ServerContext* ctx, const v1::GetResultsRequest* req,
                                            v1::GetResultsResponse* resp) {
  if (auto principal = Admit(ctx, "GetResults", req->id()); !principal.ok()) return ToGrpcStatus(principal.status());
  auto r = manager_->GetResults(req->id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::ListWorkers(grpc::ServerContext* ctx, const v1::ListWorkersRequest* req,
                                             v1::ListWorkersResponse* resp) {
  if (auto principal = Admit(ctx, "ListWorkers", ""); !principal.ok()) return ToGrpcStatus(principal.status());
  for (auto& w : manager_->ListWorkers(req->include_gone())) *resp->add_workers() = std::move(w);
  return grpc::Status::OK;
}

}  // namespace ecgbench::server
