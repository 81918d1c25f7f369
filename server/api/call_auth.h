// The per-call side of authorization: reads a call's "authorization" metadata and asks the
// Authorizer, and decides whether a principal may see one experiment. Used at the top of every
// handler of CoordinatorService and WorkerService. Thread-safe.
#pragma once

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "server/api/authorizer.h"

namespace ecgbench::server {

// Authorizer::Authorize with the call's "authorization" metadata.
absl::StatusOr<Principal> AuthorizeCall(const Authorizer& authorizer, const grpc::ServerContext& ctx,
                                        absl::string_view method);

// OK unless `principal` is a submitter and `owner` (of experiment `experiment_id`) is someone else:
// then PERMISSION_DENIED "experiment <id> belongs to another user".
absl::Status CheckExperimentAccess(const Principal& principal, const std::string& experiment_id,
                                   const std::string& owner);

// The owner filter for listings: the principal's name for submitters, "" (everyone's) otherwise.
std::string OwnerFilter(const Principal& principal);

}  // namespace ecgbench::server
