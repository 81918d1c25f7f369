// Client channels to the coordinator. One place decides transport security and call credentials,
// so that TLS and bearer tokens change no caller: MakeChannel turns ChannelOptions into a channel
// (TLS when a CA is given, "authorization: Bearer <token>" on every call when a token is given),
// LoadChannelSecurity reads the PEM and token files named by the --tls-* / --token* flags.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ecgbench::common {

// Transport security and call credentials of a channel; PEM contents, not paths.
struct ChannelSecurity {
  std::string root_certs_pem;   // non-empty: TLS, the server must present a certificate from these CAs
  std::string client_cert_pem;  // optional client certificate (mutual TLS); needs root_certs_pem
  std::string client_key_pem;
  std::string token;            // non-empty: sent with every call as a bearer token
};

struct ChannelOptions {
  std::string address;  // host:port
  ChannelSecurity security;
};

// Never fails: a channel with bad credentials reports its errors on the calls made through it.
std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options);

// The files behind ChannelSecurity, as given on a command line (empty: not given).
struct SecurityFiles {
  std::string tls_ca;      // --tls-ca
  std::string tls_cert;    // --tls-cert
  std::string tls_key;     // --tls-key
  std::string token;       // --token (the token itself)
  std::string token_file;  // --token-file
};

// Reads the files. INVALID_ARGUMENT naming the flag when --tls-cert and --tls-key do not come
// together, when they come without --tls-ca, when --token and --token-file are both given, or when
// a file does not hold what it should; NOT_FOUND naming a missing file.
absl::StatusOr<ChannelSecurity> LoadChannelSecurity(const SecurityFiles& files);

// Waits until the channel is connected or the timeout passes.
bool WaitForConnected(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout);

}  // namespace ecgbench::common
