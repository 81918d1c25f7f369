// The coordinator's transport and access policy: TLS server credentials from PEM files, and the
// rules that a coordinator without tokens, or without data roots, listens only on loopback unless
// told otherwise.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::server {

struct SecurityOptions {
  std::string tls_cert_file;       // --tls-cert: server certificate chain (PEM); with tls_key_file
  std::string tls_key_file;        // --tls-key
  std::string tls_client_ca_file;  // --tls-client-ca: require client certificates signed by these CAs
  std::string auth_tokens_file;    // --auth-tokens: token file (common/security/token_file.h)
  bool allow_unauthenticated = false;  // --allow-unauthenticated: no tokens on a non-loopback address
  // --data-root: the roots the paths in specs must lie under (common/security/path_policy.h);
  // empty: unconfined.
  std::vector<std::string> data_roots;
  bool allow_any_path = false;  // --allow-any-path: no --data-root on a non-loopback address
};

// True when the host of `listen` ("host:port", "[v6]:port") is loopback: localhost, 127.0.0.0/8, ::1.
bool IsLoopbackListenAddress(const std::string& listen);

// FAILED_PRECONDITION when `options` has no token file, `listen` is not loopback and
// allow_unauthenticated is false; INVALID_ARGUMENT for inconsistent TLS flags.
absl::Status CheckSecurityPolicy(const std::string& listen, const SecurityOptions& options);

// FAILED_PRECONDITION when `options` has no data roots, `listen` is not loopback and
// allow_any_path is false (the rule of the tokens, for the paths in specs).
absl::Status CheckPathConfinementPolicy(const std::string& listen, const SecurityOptions& options);

// Insecure credentials without TLS files; TLS (and mutual TLS with tls_client_ca_file) otherwise.
// Files are read and checked here, with errors naming the flag and file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> BuildServerCredentials(const SecurityOptions& options);

}  // namespace ecgbench::server
