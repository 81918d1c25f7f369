// The Authorizer without a server: token lookup, the role table, reloads, and ownership rules.
#include "server/api/authorizer.h"

#include <gtest/gtest.h>

#include "common/security/crypto.h"
#include "common/util/files.h"
#include "server/api/call_auth.h"
#include "server/api/server_security.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::server {
namespace {

using common::Role;

std::vector<common::TokenEntry> Entries() {
  return {{"root", Role::kAdmin, common::Sha256Hex("t-admin")},
          {"alice", Role::kSubmitter, common::Sha256Hex("t-alice")},
          {"eve", Role::kViewer, common::Sha256Hex("t-viewer")},
          {"pool", Role::kWorker, common::Sha256Hex("t-worker")}};
}

constexpr char kSubmit[] = "/ecgbench.v1.Coordinator/SubmitExperiment";
constexpr char kGet[] = "/ecgbench.v1.Coordinator/GetExperiment";
constexpr char kHeartbeat[] = "/ecgbench.v1.WorkerService/Heartbeat";

TEST(AuthorizerTest, MapsTokensToPrincipals) {
  Authorizer auth(Entries());
  auto p = auth.Authorize(kSubmit, "Bearer t-alice");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "alice");
  EXPECT_EQ(p->role, Role::kSubmitter);
  EXPECT_TRUE(p->authenticated);
  EXPECT_EQ(auth.Authorize(kHeartbeat, "bearer t-worker")->name, "pool");  // the scheme is case-insensitive
}

TEST(AuthorizerTest, MissingOrWrongTokensAreUnauthenticated) {
  Authorizer auth(Entries());
  auto missing = auth.Authorize(kGet, "");
  EXPECT_TRUE(absl::IsUnauthenticated(missing.status()));
  EXPECT_EQ(missing.status().message(),
            "missing bearer token for ecgbench.v1.Coordinator/GetExperiment: send \"authorization: Bearer <token>\" "
            "(ecgbench --token / --token-file, ecgbench-worker --token-file)");
  auto basic = auth.Authorize(kGet, "Basic dXNlcjpwYXNz");
  EXPECT_TRUE(absl::IsUnauthenticated(basic.status()));
  EXPECT_EQ(basic.status().message(), "malformed authorization header: expected \"Bearer <token>\"");
  auto wrong = auth.Authorize(kGet, "Bearer t-admin2");
  EXPECT_TRUE(absl::IsUnauthenticated(wrong.status()));
  EXPECT_EQ(wrong.status().message(), "invalid bearer token (not in the coordinator's token file)");
  // The hash of a token is not a token.
  EXPECT_TRUE(absl::IsUnauthenticated(auth.Authorize(kGet, "Bearer " + common::Sha256Hex("t-admin")).status()));
}

TEST(AuthorizerTest, WrongRoleIsPermissionDenied) {
  Authorizer auth(Entries());
  auto viewer_submit = auth.Authorize(kSubmit, "Bearer t-viewer");
  EXPECT_TRUE(absl::IsPermissionDenied(viewer_submit.status()));
  EXPECT_EQ(viewer_submit.status().message(),
            "\"eve\" (role viewer) may not call ecgbench.v1.Coordinator/SubmitExperiment");
  EXPECT_TRUE(absl::IsPermissionDenied(auth.Authorize(kGet, "Bearer t-worker").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(auth.Authorize(kHeartbeat, "Bearer t-admin").status()));
  auto unknown = auth.Authorize("/ecgbench.v1.Coordinator/DropDatabase", "Bearer t-admin");
  EXPECT_TRUE(absl::IsPermissionDenied(unknown.status()));
  EXPECT_EQ(unknown.status().message(), "unknown method ecgbench.v1.Coordinator/DropDatabase");
}

TEST(AuthorizerTest, RoleTable) {
  const std::vector<Role> all_clients = {Role::kAdmin, Role::kSubmitter, Role::kViewer};
  const std::vector<Role> writers = {Role::kAdmin, Role::kSubmitter};
  for (const char* m : {"GetExperiment", "ListExperiments", "WatchExperiment", "StreamLogs", "GetResults", "ListWorkers"}) {
    EXPECT_EQ(AllowedRoles(std::string("/ecgbench.v1.Coordinator/") + m), all_clients) << m;
  }
  for (const char* m : {"SubmitExperiment", "CancelExperiment"}) {
    EXPECT_EQ(AllowedRoles(std::string("/ecgbench.v1.Coordinator/") + m), writers) << m;
  }
  for (const char* m : {"RegisterWorker", "Heartbeat", "AcquireTask", "ReportProgress", "ReportMetrics", "AppendLogs",
                        "CompleteTask", "FailTask", "DeregisterWorker", "KvSet", "KvGet", "KvWait"}) {
    EXPECT_EQ(AllowedRoles(std::string("/ecgbench.v1.WorkerService/") + m), std::vector<Role>{Role::kWorker}) << m;
  }
  EXPECT_TRUE(AllowedRoles("/grpc.health.v1.Health/Check").empty());
  EXPECT_TRUE(AllowedRoles("ecgbench.v1.Coordinator/GetExperiment").empty());
}

TEST(AuthorizerTest, OpenAllowsEverythingAnonymously) {
  auto auth = Authorizer::Open();
  EXPECT_FALSE(auth->enabled());
  auto p = auth->Authorize(kHeartbeat, "");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "");
  EXPECT_FALSE(p->authenticated);
  EXPECT_TRUE(auth->Authorize(kSubmit, "Bearer anything").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(auth->Reload().status()));
}

TEST(AuthorizerTest, ReloadSwapsTokensAndKeepsThemOnError) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/tokens";
  ASSERT_TRUE(common::WriteFileAtomic(path, common::TokenFileLine("a", Role::kAdmin, "old") + "\n").ok());
  auto auth = Authorizer::FromFile(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->Authorize(kGet, "Bearer old").ok());
  ASSERT_TRUE(common::WriteFileAtomic(path, common::TokenFileLine("a", Role::kAdmin, "new") + "\n" +
                                                common::TokenFileLine("b", Role::kViewer, "new-b") + "\n").ok());
  EXPECT_EQ(*(*auth)->Reload(), 2u);
  EXPECT_TRUE(absl::IsUnauthenticated((*auth)->Authorize(kGet, "Bearer old").status()));
  EXPECT_TRUE((*auth)->Authorize(kGet, "Bearer new").ok());
  ASSERT_TRUE(common::WriteFileAtomic(path, "a admin oops\n").ok());
  auto failed = (*auth)->Reload();
  EXPECT_EQ(failed.status().message(),
            path + ":1: the third field must be 64 lower-case hex digits (the SHA-256 of the token, not the token)");
  EXPECT_TRUE((*auth)->Authorize(kGet, "Bearer new").ok());
}

TEST(AuthorizerTest, ExperimentAccess) {
  const Principal alice{"alice", Role::kSubmitter, true};
  const Principal viewer{"eve", Role::kViewer, true};
  const Principal admin{"root", Role::kAdmin, true};
  EXPECT_TRUE(CheckExperimentAccess(alice, "exp-1", "alice").ok());
  auto denied = CheckExperimentAccess(alice, "exp-1", "bob");
  EXPECT_TRUE(absl::IsPermissionDenied(denied));
  EXPECT_EQ(denied.message(), "experiment exp-1 belongs to another user");
  EXPECT_TRUE(absl::IsPermissionDenied(CheckExperimentAccess(alice, "exp-1", "")));
  EXPECT_TRUE(CheckExperimentAccess(viewer, "exp-1", "bob").ok());
  EXPECT_TRUE(CheckExperimentAccess(admin, "exp-1", "bob").ok());
  EXPECT_EQ(OwnerFilter(alice), "alice");
  EXPECT_EQ(OwnerFilter(admin), "");
}

TEST(ServerSecurityTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1:50051", "127.1.2.3:0", "localhost:1", "[::1]:50051"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:1", "coordinator:50051", "128.0.0.1:1", ":50051"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(a)) << a;
  }
}

TEST(ServerSecurityTest, Policy) {
  SecurityOptions open;
  EXPECT_TRUE(CheckSecurityPolicy("127.0.0.1:0", open).ok());
  auto refused = CheckSecurityPolicy("0.0.0.0:50051", open);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused));
  EXPECT_EQ(refused.message(),
            "--listen 0.0.0.0:50051 is reachable from other machines but no --auth-tokens file was given: anyone "
            "could submit work and read results. Give --auth-tokens FILE (see docs/security.md), listen on "
            "127.0.0.1, or pass --allow-unauthenticated to accept this");
  SecurityOptions allowed;
  allowed.allow_unauthenticated = true;
  EXPECT_TRUE(CheckSecurityPolicy("0.0.0.0:50051", allowed).ok());
  SecurityOptions tokens;
  tokens.auth_tokens_file = "/etc/ecgbench/tokens/tokens";
  EXPECT_TRUE(CheckSecurityPolicy("0.0.0.0:50051", tokens).ok());
  SecurityOptions half_tls;
  half_tls.tls_cert_file = "server.crt";
  EXPECT_EQ(CheckSecurityPolicy("127.0.0.1:0", half_tls).message(), "--tls-cert and --tls-key must be given together");
  SecurityOptions ca_only;
  ca_only.tls_client_ca_file = "ca.crt";
  EXPECT_EQ(CheckSecurityPolicy("127.0.0.1:0", ca_only).message(),
            "--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
}

}  // namespace
}  // namespace ecgbench::server
