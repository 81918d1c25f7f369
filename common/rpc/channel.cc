// Channel construction: TLS credentials and a client interceptor that adds the bearer token. The
// token travels in an interceptor rather than in gRPC call credentials because gRPC refuses call
// credentials on plaintext channels, and the embedded mode uses tokens over plaintext loopback.
#include "common/rpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/security/certificates.h"
#include "common/security/token_file.h"
#include "common/util/status_macros.h"

namespace ecgbench::common {

namespace {

class BearerTokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;  // owned by the factory, which the channel keeps alive
};

class BearerTokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(const std::string& token) : header_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo*) override {
    return new BearerTokenInterceptor(&header_);
  }

 private:
  const std::string header_;
};

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options) {
  grpc::ChannelArguments args;
  // Reconnect quickly after a coordinator restart (gRPC's default backoff grows to 120 s). The
  // "min reconnect backoff" is the minimum time a connection attempt may take (TLS handshakes
  // included), so it stays generous.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  const ChannelSecurity& sec = options.security;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (sec.root_certs_pem.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = sec.root_certs_pem;
    ssl.pem_cert_chain = sec.client_cert_pem;
    ssl.pem_private_key = sec.client_key_pem;
    creds = grpc::SslCredentials(ssl);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!sec.token.empty()) interceptors.push_back(std::make_unique<BearerTokenInterceptorFactory>(sec.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(options.address, creds, args, std::move(interceptors));
}

absl::StatusOr<ChannelSecurity> LoadChannelSecurity(const SecurityFiles& files) {
  ChannelSecurity sec;
  if (files.tls_cert.empty() != files.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together (the client certificate and its key)");
  }
  if (!files.tls_cert.empty() && files.tls_ca.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca (the CA that signed the coordinator's certificate)");
  }
  if (!files.token.empty() && !files.token_file.empty()) {
    return absl::InvalidArgumentError("give either a token (--token / ECGBENCH_TOKEN) or a token file (--token-file), not both");
  }
  if (!files.tls_ca.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(sec.root_certs_pem, ReadPemFile(files.tls_ca, "--tls-ca"));
    ECGBENCH_RETURN_IF_ERROR(CheckCertificateBundle(sec.root_certs_pem, files.tls_ca));
  }
  if (!files.tls_cert.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(sec.client_cert_pem, ReadPemFile(files.tls_cert, "--tls-cert"));
    ECGBENCH_ASSIGN_OR_RETURN(sec.client_key_pem, ReadPemFile(files.tls_key, "--tls-key"));
    ECGBENCH_RETURN_IF_ERROR(CheckCertificateAndKey(sec.client_cert_pem, sec.client_key_pem, files.tls_cert, files.tls_key));
  }
  if (!files.token_file.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(sec.token, ReadTokenFromFile(files.token_file));
  } else {
    sec.token = files.token;
  }
  return sec;
}

bool WaitForConnected(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout) {
  return channel->WaitForConnected(std::chrono::system_clock::now() + timeout);
}

}  // namespace ecgbench::common
