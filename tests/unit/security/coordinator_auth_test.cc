// Every RPC of both services x every kind of caller, against a real in-process coordinator with a
// token file: no token -> UNAUTHENTICATED, unknown token -> UNAUTHENTICATED, wrong role ->
// PERMISSION_DENIED, right role -> through to the Manager. Then the ownership rules of submitters,
// and the health service staying open.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "common/rpc/channel.h"
#include "common/security/token_file.h"
#include "common/util/files.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "ecgbench/v1/worker.grpc.pb.h"
#include "server/api/authorizer.h"
#include "server/coordinator.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::server {
namespace {

using common::Role;

constexpr char kProbeSpec[] = "name: x\nprobe: {ranks: 1}\n";

struct Stubs {
  std::unique_ptr<v1::Coordinator::Stub> client;
  std::unique_ptr<v1::WorkerService::Stub> worker;
};

template <typename Reader, typename Message>
grpc::Status Drain(Reader reader) {
  Message m;
  while (reader->Read(&m)) {
  }
  return reader->Finish();
}

// One call per RPC with an empty (or minimal) request: what matters is who gets through.
using RpcCall = std::function<grpc::Status(Stubs&, grpc::ClientContext*)>;
const std::map<std::string, RpcCall>& Rpcs() {
  static const auto* rpcs = new std::map<std::string, RpcCall>{
      {"/ecgbench.v1.Coordinator/SubmitExperiment",
       [](Stubs& s, grpc::ClientContext* c) {
         v1::SubmitExperimentRequest r;
         r.set_spec_yaml(kProbeSpec);
         r.set_validate_only(true);
         v1::SubmitExperimentResponse o;
         return s.client->SubmitExperiment(c, r, &o);
       }},
      {"/ecgbench.v1.Coordinator/GetExperiment",
       [](Stubs& s, grpc::ClientContext* c) { v1::GetExperimentResponse o; return s.client->GetExperiment(c, {}, &o); }},
      {"/ecgbench.v1.Coordinator/ListExperiments",
       [](Stubs& s, grpc::ClientContext* c) { v1::ListExperimentsResponse o; return s.client->ListExperiments(c, {}, &o); }},
      {"/ecgbench.v1.Coordinator/CancelExperiment",
       [](Stubs& s, grpc::ClientContext* c) { v1::CancelExperimentResponse o; return s.client->CancelExperiment(c, {}, &o); }},
      {"/ecgbench.v1.Coordinator/WatchExperiment",
       [](Stubs& s, grpc::ClientContext* c) { return Drain<decltype(s.client->WatchExperiment(c, {})), v1::Event>(s.client->WatchExperiment(c, {})); }},
      {"/ecgbench.v1.Coordinator/StreamLogs",
       [](Stubs& s, grpc::ClientContext* c) { return Drain<decltype(s.client->StreamLogs(c, {})), v1::LogLine>(s.client->StreamLogs(c, {})); }},
      {"/ecgbench.v1.Coordinator/GetResults",
       [](Stubs& s, grpc::ClientContext* c) { v1::GetResultsResponse o; return s.client->GetResults(c, {}, &o); }},
      {"/ecgbench.v1.Coordinator/ListWorkers",
       [](Stubs& s, grpc::ClientContext* c) { v1::ListWorkersResponse o; return s.client->ListWorkers(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/RegisterWorker",
       [](Stubs& s, grpc::ClientContext* c) { v1::RegisterWorkerResponse o; return s.worker->RegisterWorker(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/Heartbeat",
       [](Stubs& s, grpc::ClientContext* c) { v1::HeartbeatResponse o; return s.worker->Heartbeat(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/AcquireTask",
       [](Stubs& s, grpc::ClientContext* c) { v1::AcquireTaskResponse o; return s.worker->AcquireTask(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/ReportProgress",
       [](Stubs& s, grpc::ClientContext* c) { v1::ReportProgressResponse o; return s.worker->ReportProgress(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/ReportMetrics",
       [](Stubs& s, grpc::ClientContext* c) { v1::ReportMetricsResponse o; return s.worker->ReportMetrics(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/AppendLogs",
       [](Stubs& s, grpc::ClientContext* c) { v1::AppendLogsResponse o; return s.worker->AppendLogs(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/CompleteTask",
       [](Stubs& s, grpc::ClientContext* c) { v1::CompleteTaskResponse o; return s.worker->CompleteTask(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/FailTask",
       [](Stubs& s, grpc::ClientContext* c) { v1::FailTaskResponse o; return s.worker->FailTask(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/DeregisterWorker",
       [](Stubs& s, grpc::ClientContext* c) { v1::DeregisterWorkerResponse o; return s.worker->DeregisterWorker(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/KvSet",
       [](Stubs& s, grpc::ClientContext* c) { v1::KvSetResponse o; return s.worker->KvSet(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/KvGet",
       [](Stubs& s, grpc::ClientContext* c) { v1::KvGetResponse o; return s.worker->KvGet(c, {}, &o); }},
      {"/ecgbench.v1.WorkerService/KvWait",
       [](Stubs& s, grpc::ClientContext* c) { v1::KvWaitResponse o; return s.worker->KvWait(c, {}, &o); }},
  };
  return *rpcs;
}

class CoordinatorAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tokens = dir_.path() + "/tokens";
    std::string text;
    for (const auto& [name, role] : std::vector<std::pair<std::string, Role>>{
             {"root", Role::kAdmin}, {"alice", Role::kSubmitter}, {"bob", Role::kSubmitter},
             {"eve", Role::kViewer}, {"pool", Role::kWorker}}) {
      text += common::TokenFileLine(name, role, "token-of-" + name) + "\n";
    }
    ASSERT_TRUE(common::WriteFileAtomic(tokens, text).ok());
    CoordinatorOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "";
    options.db_path = ":memory:";
    options.security.auth_tokens_file = tokens;
    auto c = Coordinator::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_ = std::move(*c);
  }

  // Stubs whose calls carry `token` ("" : none).
  Stubs For(const std::string& token) {
    common::ChannelOptions o;
    o.address = "127.0.0.1:" + std::to_string(coordinator_->port());
    o.security.token = token;
    auto channel = common::MakeChannel(o);
    return {v1::Coordinator::NewStub(channel), v1::WorkerService::NewStub(channel)};
  }
  static void Deadline(grpc::ClientContext* c) {
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  std::string Submit(Stubs& s, const std::string& request_id, grpc::Status* status = nullptr) {
    grpc::ClientContext c;
    Deadline(&c);
    v1::SubmitExperimentRequest r;
    r.set_spec_yaml(kProbeSpec);
    r.set_request_id(request_id);
    v1::SubmitExperimentResponse o;
    grpc::Status st = s.client->SubmitExperiment(&c, r, &o);
    if (status != nullptr) *status = st;
    return o.experiment().id();
  }

  test_support::TempDir dir_;
  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(CoordinatorAuthTest, TheTableCoversEveryRpcOfBothServices) {
  std::set<std::string> declared;
  for (const char* service : {"ecgbench.v1.Coordinator", "ecgbench.v1.WorkerService"}) {
    const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) declared.insert("/" + std::string(service) + "/" + d->method(i)->name());
  }
  std::set<std::string> tested;
  for (const auto& [method, call] : Rpcs()) tested.insert(method);
  EXPECT_EQ(declared, tested);
}

TEST_F(CoordinatorAuthTest, EveryRpcTimesEveryCaller) {
  const std::map<std::string, std::pair<std::string, std::optional<Role>>> callers = {
      {"no token", {"", std::nullopt}},        {"unknown token", {"token-of-mallory", std::nullopt}},
      {"admin", {"token-of-root", Role::kAdmin}}, {"submitter", {"token-of-alice", Role::kSubmitter}},
      {"viewer", {"token-of-eve", Role::kViewer}}, {"worker", {"token-of-pool", Role::kWorker}},
  };
  int checked = 0;
  for (const auto& [caller, token_role] : callers) {
    Stubs stubs = For(token_role.first);
    for (const auto& [method, call] : Rpcs()) {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      const grpc::Status st = call(stubs, &ctx);
      const std::string where = caller + " -> " + method + ": " + st.error_message();
      const std::vector<Role> allowed = AllowedRoles(method);
      if (!token_role.second.has_value()) {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
      } else if (std::find(allowed.begin(), allowed.end(), *token_role.second) == allowed.end()) {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
        EXPECT_NE(st.error_message().find(" may not call " + method.substr(1)), std::string::npos) << where;
      } else {
        // Through to the Manager, which may still reject the empty request on its own terms.
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
        EXPECT_EQ(st.error_message().find(" may not call "), std::string::npos) << where;
      }
      // No status message ever repeats a token.
      EXPECT_EQ(st.error_message().find("token-of-"), std::string::npos) << where;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6 * 20);
}

TEST_F(CoordinatorAuthTest, SubmittersSeeAndControlOnlyTheirOwnExperiments) {
  Stubs alice = For("token-of-alice"), bob = For("token-of-bob"), root = For("token-of-root"), eve = For("token-of-eve");
  const std::string a1 = Submit(alice, "alice-1");
  const std::string b1 = Submit(bob, "bob-1");
  ASSERT_FALSE(a1.empty());
  ASSERT_FALSE(b1.empty());
  {
    grpc::ClientContext c;
    v1::GetExperimentRequest r;
    r.set_id(a1);
    v1::GetExperimentResponse o;
    ASSERT_TRUE(alice.client->GetExperiment(&c, r, &o).ok());
    EXPECT_EQ(o.experiment().owner(), "alice");
  }
  auto list = [](Stubs& s) {
    grpc::ClientContext c;
    v1::ListExperimentsResponse o;
    EXPECT_TRUE(s.client->ListExperiments(&c, {}, &o).ok());
    std::set<std::string> ids;
    for (const auto& e : o.experiments()) ids.insert(e.id());
    return ids;
  };
  EXPECT_EQ(list(alice), std::set<std::string>({a1}));
  EXPECT_EQ(list(bob), std::set<std::string>({b1}));
  EXPECT_EQ(list(root), std::set<std::string>({a1, b1}));
  EXPECT_EQ(list(eve), std::set<std::string>({a1, b1}));

  // Every call naming alice's experiment is refused to bob, allowed to alice, the admin and the viewer.
  const std::string denied = "experiment " + a1 + " belongs to another user";
  std::vector<std::function<grpc::Status(Stubs&)>> calls = {
      [&](Stubs& s) { grpc::ClientContext c; v1::GetExperimentRequest r; r.set_id(a1); v1::GetExperimentResponse o; return s.client->GetExperiment(&c, r, &o); },
      [&](Stubs& s) { grpc::ClientContext c; v1::GetResultsRequest r; r.set_id(a1); v1::GetResultsResponse o; return s.client->GetResults(&c, r, &o); },
      [&](Stubs& s) { grpc::ClientContext c; Deadline(&c); v1::StreamLogsRequest r; r.set_experiment_id(a1); return Drain<decltype(s.client->StreamLogs(&c, r)), v1::LogLine>(s.client->StreamLogs(&c, r)); },
      [&](Stubs& s) {
        grpc::ClientContext c;
        c.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));  // a watch of a running experiment
        v1::WatchExperimentRequest r; r.set_id(a1);
        return Drain<decltype(s.client->WatchExperiment(&c, r)), v1::Event>(s.client->WatchExperiment(&c, r));
      },
  };
  for (size_t i = 0; i < calls.size(); ++i) {
    grpc::Status st = calls[i](bob);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << i << ": " << st.error_message();
    EXPECT_EQ(st.error_message(), denied) << i;
    for (Stubs* s : {&alice, &root, &eve}) {
      st = calls[i](*s);
      EXPECT_TRUE(st.ok() || st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) << i << ": " << st.error_message();
    }
  }
  auto cancel = [&](Stubs& s) {
    grpc::ClientContext c;
    v1::CancelExperimentRequest r;
    r.set_id(a1);
    v1::CancelExperimentResponse o;
    return s.client->CancelExperiment(&c, r, &o);
  };
  EXPECT_EQ(cancel(bob).error_message(), denied);
  EXPECT_EQ(cancel(eve).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(cancel(alice).ok());
  // Unknown experiments stay NOT_FOUND for submitters too.
  grpc::ClientContext c;
  v1::GetExperimentRequest r;
  r.set_id("exp-missing");
  v1::GetExperimentResponse o;
  EXPECT_EQ(bob.client->GetExperiment(&c, r, &o).error_code(), grpc::StatusCode::NOT_FOUND);
  // Reusing alice's request id does not hand her experiment to bob.
  grpc::Status st;
  Submit(bob, "alice-1", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), denied);
}

TEST_F(CoordinatorAuthTest, HealthStaysOpenForProbes) {
  auto channel = common::MakeChannel({"127.0.0.1:" + std::to_string(coordinator_->port()), {}});
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  Deadline(&ctx);
  grpc::ByteBuffer request, response;  // an empty HealthCheckRequest: the whole server
  grpc::Slice empty;
  request = grpc::ByteBuffer(&empty, 1);
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(ok);
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace ecgbench::server
