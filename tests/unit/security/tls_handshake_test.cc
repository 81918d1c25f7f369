// Certificates from GenerateCertificates and real TLS handshakes on loopback: server-only TLS,
// mutual TLS, and the clients that must be turned away.
#include <gtest/gtest.h>

#include "common/rpc/channel.h"
#include "common/security/certificates.h"
#include "common/security/token_file.h"
#include "common/util/files.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "server/coordinator.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::server {
namespace {

class TlsHandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = dir_.path() + "/certs";
    other_ = dir_.path() + "/other";
    ASSERT_TRUE(common::GenerateCertificates({certs_, {"coordinator.example", "10.1.2.3"}, 30}).ok());
    ASSERT_TRUE(common::GenerateCertificates({other_, {}, 30}).ok());
    tokens_ = dir_.path() + "/tokens";
    ASSERT_TRUE(common::WriteFileAtomic(tokens_, common::TokenFileLine("root", common::Role::kAdmin, "t") + "\n").ok());
  }

  absl::Status Start(bool mutual) {
    CoordinatorOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "";
    options.db_path = ":memory:";
    options.security.tls_cert_file = certs_ + "/server.crt";
    options.security.tls_key_file = certs_ + "/server.key";
    if (mutual) options.security.tls_client_ca_file = certs_ + "/ca.crt";
    options.security.auth_tokens_file = tokens_;
    auto c = Coordinator::Start(options);
    if (!c.ok()) return c.status();
    coordinator_ = std::move(*c);
    return absl::OkStatus();
  }

  // ListWorkers through a channel built from these files (paths relative to the test dir).
  grpc::Status Call(const std::string& ca, const std::string& cert = "", const std::string& key = "") {
    common::SecurityFiles files;
    files.tls_ca = ca.empty() ? "" : dir_.path() + "/" + ca;
    files.tls_cert = cert.empty() ? "" : dir_.path() + "/" + cert;
    files.tls_key = key.empty() ? "" : dir_.path() + "/" + key;
    files.token = "t";
    auto security = common::LoadChannelSecurity(files);
    EXPECT_TRUE(security.ok()) << security.status();
    auto channel = common::MakeChannel({"127.0.0.1:" + std::to_string(coordinator_->port()), *security});
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListWorkersResponse resp;
    return stub->ListWorkers(&ctx, {}, &resp);
  }

  test_support::TempDir dir_;
  std::string certs_, other_, tokens_;
  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(TlsHandshakeTest, ServerTls) {
  ASSERT_TRUE(Start(/*mutual=*/false).ok());
  EXPECT_TRUE(Call("certs/ca.crt").ok());
  // A client certificate is not asked for, and not in the way either.
  EXPECT_TRUE(Call("certs/ca.crt", "certs/client.crt", "certs/client.key").ok());
  EXPECT_EQ(Call("").error_code(), grpc::StatusCode::UNAVAILABLE);               // plaintext to a TLS port
  EXPECT_EQ(Call("other/ca.crt").error_code(), grpc::StatusCode::UNAVAILABLE);   // an untrusted server certificate
}

TEST_F(TlsHandshakeTest, MutualTls) {
  ASSERT_TRUE(Start(/*mutual=*/true).ok());
  EXPECT_TRUE(Call("certs/ca.crt", "certs/client.crt", "certs/client.key").ok());
  EXPECT_EQ(Call("certs/ca.crt").error_code(), grpc::StatusCode::UNAVAILABLE);  // no client certificate
  EXPECT_EQ(Call("certs/ca.crt", "other/client.crt", "other/client.key").error_code(),
            grpc::StatusCode::UNAVAILABLE);  // a client certificate from another CA
}

TEST_F(TlsHandshakeTest, BadServerFilesAreNamed) {
  CoordinatorOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.db_path = ":memory:";
  options.security.tls_cert_file = certs_ + "/server.crt";
  options.security.tls_key_file = other_ + "/server.key";
  auto c = Coordinator::Start(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            other_ + "/server.key: this private key does not belong to the certificate in " + certs_ + "/server.crt");
  options.security.tls_key_file = certs_ + "/server.key";
  options.security.tls_client_ca_file = certs_ + "/server.key";
  c = Coordinator::Start(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            certs_ + "/server.key: no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")");
}

TEST_F(TlsHandshakeTest, ClientFlagErrors) {
  common::SecurityFiles f;
  f.tls_cert = "a.crt";
  EXPECT_EQ(common::LoadChannelSecurity(f).status().message(),
            "--tls-cert and --tls-key must be given together (the client certificate and its key)");
  f.tls_key = "a.key";
  EXPECT_EQ(common::LoadChannelSecurity(f).status().message(),
            "--tls-cert needs --tls-ca (the CA that signed the coordinator's certificate)");
  common::SecurityFiles both;
  both.token = "x";
  both.token_file = "y";
  EXPECT_EQ(common::LoadChannelSecurity(both).status().message(),
            "give either a token (--token / ECGBENCH_TOKEN) or a token file (--token-file), not both");
  common::SecurityFiles missing;
  missing.tls_ca = dir_.path() + "/nope.crt";
  auto st = common::LoadChannelSecurity(missing).status();
  EXPECT_EQ(st.message().substr(0, 10), "--tls-ca: ");
  EXPECT_NE(st.message().find(dir_.path() + "/nope.crt"), absl::string_view::npos) << st;
}

TEST(CertificatesTest, RejectsBadHostNames) {
  test_support::TempDir dir;
  auto st = common::GenerateCertificates({dir.path() + "/c", {"bad host"}, 30});
  EXPECT_EQ(st.message(), "--cert-host \"bad host\": not a host name or IP address");
}

}  // namespace
}  // namespace ecgbench::server
