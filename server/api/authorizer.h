// Authorizer: who may call which RPC. Maps the bearer token of a call to a Principal (name and
// role) through the token file (common/security/token_file.h), then checks the role against the
// method table below. Tokens are compared by their SHA-256, in constant time, against every entry.
//
//   method                          admin submitter viewer worker
//   Coordinator/SubmitExperiment      x      x        -      -
//   Coordinator/CancelExperiment      x      x (own)  -      -
//   Coordinator/Get/List/Watch/
//     StreamLogs/GetResults           x      x (own)  x      -
//   Coordinator/ListWorkers           x      x        x      -
//   WorkerService/*                   -      -        -      x
// ("own": the handlers restrict submitters to experiments whose owner is their name.)
//
// Without a token file (Open()), every call is allowed as the anonymous principal (name "", admin,
// authenticated = false). Thread-safe: Authorize may run concurrently with Reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/security/token_file.h"

namespace ecgbench::server {

struct Principal {
  std::string name;  // the token's name in the token file; "" when anonymous
  common::Role role = common::Role::kAdmin;
  bool authenticated = false;
};

// The roles that may call `method` ("/ecgbench.v1.Coordinator/GetExperiment"); empty when the
// method is unknown (nobody may call it).
std::vector<common::Role> AllowedRoles(absl::string_view method);

class Authorizer {
 public:
  // Allows every call (no --auth-tokens).
  static std::unique_ptr<Authorizer> Open();
  // Loads the token file at `path`; its errors as LoadTokenFile's.
  static absl::StatusOr<std::unique_ptr<Authorizer>> FromFile(const std::string& path);
  explicit Authorizer(std::vector<common::TokenEntry> entries, std::string path = "");

  bool enabled() const { return enabled_; }

  // Re-reads the token file (SIGHUP). On error the previous tokens stay in force. Returns the number
  // of tokens loaded. FAILED_PRECONDITION for an Open() authorizer.
  absl::StatusOr<size_t> Reload();

  // `authorization` is the value of the call's "authorization" metadata ("" when absent).
  //   UNAUTHENTICATED: missing or malformed header, or a token not in the file;
  //   PERMISSION_DENIED: the token's role may not call `method`, or `method` is unknown.
  // Messages never contain the token.
  absl::StatusOr<Principal> Authorize(absl::string_view method, absl::string_view authorization) const;

 private:
  Authorizer() = default;

  bool enabled_ = false;  // constant after construction
  std::string path_;      // constant after construction
  mutable absl::Mutex mu_;
  std::vector<common::TokenEntry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::server
