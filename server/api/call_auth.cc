// Per-call authorization helpers.
#include "server/api/call_auth.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::server {

absl::StatusOr<Principal> AuthorizeCall(const Authorizer& authorizer, const grpc::ServerContext& ctx,
                                        absl::string_view method) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  absl::string_view header;
  if (it != md.end()) header = absl::string_view(it->second.data(), it->second.size());
  return authorizer.Authorize(method, header);
}

absl::Status CheckExperimentAccess(const Principal& principal, const std::string& experiment_id,
                                   const std::string& owner) {
  if (principal.role != common::Role::kSubmitter || owner == principal.name) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("experiment ", experiment_id, " belongs to another user"));
}

std::string OwnerFilter(const Principal& principal) {
  return principal.role == common::Role::kSubmitter ? principal.name : std::string();
}

}  // namespace ecgbench::server
