// Token lookup and the role table.
#include "server/api/authorizer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/security/crypto.h"

namespace ecgbench::server {

using common::Role;

namespace {

constexpr absl::string_view kClientPrefix = "/ecgbench.v1.Coordinator/";
constexpr absl::string_view kWorkerPrefix = "/ecgbench.v1.WorkerService/";

// Client API methods and whether a viewer may call them (admin and submitter may call them all).
struct ClientMethod {
  absl::string_view name;
  bool viewer;
};
constexpr ClientMethod kClientMethods[] = {
    {"SubmitExperiment", false}, {"GetExperiment", true}, {"ListExperiments", true},
    {"CancelExperiment", false}, {"WatchExperiment", true}, {"StreamLogs", true},
    {"GetResults", true},        {"ListWorkers", true},
};
constexpr absl::string_view kWorkerMethods[] = {
    "RegisterWorker", "Heartbeat", "AcquireTask", "ReportProgress", "ReportMetrics", "AppendLogs",
    "CompleteTask",   "FailTask",  "DeregisterWorker", "KvSet",     "KvGet",         "KvWait",
};

absl::string_view ShortMethod(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  return method;
}

}  // namespace

std::vector<Role> AllowedRoles(absl::string_view method) {
  absl::string_view name = method;
  if (absl::ConsumePrefix(&name, kClientPrefix)) {
    for (const ClientMethod& m : kClientMethods) {
      if (m.name != name) continue;
      if (m.viewer) return {Role::kAdmin, Role::kSubmitter, Role::kViewer};
      return {Role::kAdmin, Role::kSubmitter};
    }
  } else if (absl::ConsumePrefix(&name, kWorkerPrefix)) {
    for (absl::string_view m : kWorkerMethods) {
      if (m == name) return {Role::kWorker};
    }
  }
  return {};
}

std::unique_ptr<Authorizer> Authorizer::Open() { return std::unique_ptr<Authorizer>(new Authorizer()); }

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::FromFile(const std::string& path) {
  auto entries = common::LoadTokenFile(path);
  if (!entries.ok()) return entries.status();
  return std::make_unique<Authorizer>(std::move(*entries), path);
}

Authorizer::Authorizer(std::vector<common::TokenEntry> entries, std::string path)
    : enabled_(true), path_(std::move(path)), entries_(std::move(entries)) {}

absl::StatusOr<size_t> Authorizer::Reload() {
  if (!enabled_ || path_.empty()) return absl::FailedPreconditionError("no token file to reload (--auth-tokens not given)");
  auto entries = common::LoadTokenFile(path_);
  if (!entries.ok()) return entries.status();
  absl::MutexLock lock(&mu_);
  entries_ = std::move(*entries);
  return entries_.size();
}

absl::StatusOr<Principal> Authorizer::Authorize(absl::string_view method, absl::string_view authorization) const {
  const std::vector<Role> allowed = AllowedRoles(method);
  if (allowed.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("unknown method ", ShortMethod(method)));
  }
  if (!enabled_) return Principal{};
  absl::string_view token = authorization;
  if (token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "missing bearer token for ", ShortMethod(method),
        ": send \"authorization: Bearer <token>\" (ecgbench --token / --token-file, ecgbench-worker --token-file)"));
  }
  // The scheme is case-insensitive (RFC 7235).
  if (token.size() < 7 || !absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError("malformed authorization header: expected \"Bearer <token>\"");
  }
  token = absl::StripAsciiWhitespace(token.substr(7));
  const std::string hash = common::Sha256Hex(token);
  Principal p;
  bool found = false;
  {
    absl::MutexLock lock(&mu_);
    // Every entry is compared, matched or not, so the time taken does not depend on which one matches.
    for (const common::TokenEntry& e : entries_) {
      const bool match = common::ConstantTimeEquals(hash, e.sha256_hex);
      if (match && !found) {
        found = true;
        p.name = e.name;
        p.role = e.role;
      }
    }
  }
  if (!found) return absl::UnauthenticatedError("invalid bearer token (not in the coordinator's token file)");
  p.authenticated = true;
  if (std::find(allowed.begin(), allowed.end(), p.role) == allowed.end()) {
    return absl::PermissionDeniedError(absl::StrCat("\"", p.name, "\" (role ", common::RoleName(p.role),
                                                    ") may not call ", ShortMethod(method)));
  }
  return p;
}

}  // namespace ecgbench::server
