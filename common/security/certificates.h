// Self-signed certificates for a first TLS setup (`ecgbench-coordinator --generate-certs DIR`), and
// checks of PEM files before gRPC sees them (gRPC only says "cannot listen" on a bad key).
// Uses OpenSSL's EVP/X509 API; keys are ECDSA P-256, signatures SHA-256. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common {

struct CertificateOptions {
  std::string dir;                 // created when missing
  std::vector<std::string> hosts;  // extra DNS names / IP addresses of the server (localhost and
                                   // 127.0.0.1 are always included)
  int valid_days = 825;
};

// File names written into CertificateOptions::dir.
inline constexpr char kCaCertFile[] = "ca.crt";          // the CA: give it to every client (--tls-ca)
inline constexpr char kServerCertFile[] = "server.crt";  // coordinator --tls-cert
inline constexpr char kServerKeyFile[] = "server.key";   // coordinator --tls-key (mode 0600)
inline constexpr char kClientCertFile[] = "client.crt";  // worker/CLI --tls-cert (mutual TLS)
inline constexpr char kClientKeyFile[] = "client.key";   // worker/CLI --tls-key (mode 0600)

// Generates a CA, a server certificate (serverAuth, SANs: localhost, 127.0.0.1, ::1 and `hosts`)
// and a client certificate (clientAuth, CN "ecgbench-worker"), both signed by the CA, and writes
// the five files above. The CA key is discarded. INVALID_ARGUMENT for a bad host name,
// INTERNAL naming the file or OpenSSL step that failed.
absl::Status GenerateCertificates(const CertificateOptions& options);

// OK when `cert_pem` holds at least one certificate, `key_pem` a private key, and the key belongs to
// the first certificate. Errors are INVALID_ARGUMENT naming `cert_path` / `key_path`.
absl::Status CheckCertificateAndKey(const std::string& cert_pem, const std::string& key_pem,
                                    const std::string& cert_path, const std::string& key_path);

// The contents of the PEM file a flag names; errors are ReadFile's, prefixed with the flag
// ("--tls-ca: ...").
absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* flag);

// OK when `pem` holds at least one certificate (a CA bundle); INVALID_ARGUMENT naming `path`.
absl::Status CheckCertificateBundle(const std::string& pem, const std::string& path);

}  // namespace ecgbench::common
