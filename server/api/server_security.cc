// TLS server credentials and the listen-address policy.
#include "server/api/server_security.h"

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"
#include "common/security/certificates.h"
#include "common/util/status_macros.h"

namespace ecgbench::server {

bool IsLoopbackListenAddress(const std::string& listen) {
  std::string host = listen;
  if (!host.empty() && host[0] == '[') {
    const size_t end = host.find(']');
    host = end == std::string::npos ? host.substr(1) : host.substr(1, end - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

absl::Status CheckSecurityPolicy(const std::string& listen, const SecurityOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  if (!options.tls_client_ca_file.empty() && options.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
  }
  if (options.auth_tokens_file.empty() && !options.allow_unauthenticated && !IsLoopbackListenAddress(listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--listen ", listen,
        " is reachable from other machines but no --auth-tokens file was given: anyone could submit work and "
        "read results. Give --auth-tokens FILE (see docs/security.md), listen on 127.0.0.1, or pass "
        "--allow-unauthenticated to accept this"));
  }
  return absl::OkStatus();
}

absl::Status CheckPathConfinementPolicy(const std::string& listen, const SecurityOptions& options) {
  if (options.data_roots.empty() && !options.allow_any_path && !IsLoopbackListenAddress(listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--listen ", listen,
        " is reachable from other machines but no --data-root was given: a spec could make the workers read any "
        "file they can. Give --data-root DIR for each data, model and artifact folder (see docs/security.md), "
        "listen on 127.0.0.1, or pass --allow-any-path to accept this"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> BuildServerCredentials(const SecurityOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  ECGBENCH_ASSIGN_OR_RETURN(std::string cert, common::ReadPemFile(options.tls_cert_file, "--tls-cert"));
  ECGBENCH_ASSIGN_OR_RETURN(std::string key, common::ReadPemFile(options.tls_key_file, "--tls-key"));
  ECGBENCH_RETURN_IF_ERROR(common::CheckCertificateAndKey(cert, key, options.tls_cert_file, options.tls_key_file));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!options.tls_client_ca_file.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(ssl.pem_root_certs, common::ReadPemFile(options.tls_client_ca_file, "--tls-client-ca"));
    ECGBENCH_RETURN_IF_ERROR(common::CheckCertificateBundle(ssl.pem_root_certs, options.tls_client_ca_file));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ssl.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace ecgbench::server
