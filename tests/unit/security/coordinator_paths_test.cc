// The coordinator's --data-root rules: no data roots on a non-loopback address is refused unless
// --allow-any-path; bad roots are refused at start; SubmitExperiment over gRPC answers
// PERMISSION_DENIED / INVALID_ARGUMENT with the field and the reason, and stores nothing.
#include <gtest/gtest.h>

#include <chrono>

#include "common/rpc/channel.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "server/api/server_security.h"
#include "server/coordinator.h"

namespace ecgbench::server {
namespace {

constexpr char kRefusal[] =
    "--listen 0.0.0.0:50051 is reachable from other machines but no --data-root was given: a spec could make the "
    "workers read any file they can. Give --data-root DIR for each data, model and artifact folder (see "
    "docs/security.md), listen on 127.0.0.1, or pass --allow-any-path to accept this";

TEST(PathConfinementPolicyTest, NonLoopbackNeedsDataRootsOrAllowAnyPath) {
  SecurityOptions open;
  const absl::Status refused = CheckPathConfinementPolicy("0.0.0.0:50051", open);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), kRefusal);
  EXPECT_TRUE(CheckPathConfinementPolicy("127.0.0.1:50051", open).ok());
  EXPECT_TRUE(CheckPathConfinementPolicy("localhost:0", open).ok());
  SecurityOptions any = open;
  any.allow_any_path = true;
  EXPECT_TRUE(CheckPathConfinementPolicy("0.0.0.0:50051", any).ok());
  SecurityOptions roots = open;
  roots.data_roots = {"/data"};
  EXPECT_TRUE(CheckPathConfinementPolicy("[::]:50051", roots).ok());
}

CoordinatorOptions LocalOptions() {
  CoordinatorOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.db_path = ":memory:";
  return options;
}

TEST(CoordinatorPathsTest, StartRefusesNonLoopbackWithoutDataRoots) {
  CoordinatorOptions options = LocalOptions();
  options.listen = "0.0.0.0:0";
  options.security.allow_unauthenticated = true;  // past the tokens rule
  auto refused = Coordinator::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("no --data-root was given"), absl::string_view::npos)
      << refused.status();
}

TEST(CoordinatorPathsTest, StartRefusesARelativeRoot) {
  CoordinatorOptions options = LocalOptions();
  options.security.data_roots = {"/data", "models"};
  auto refused = Coordinator::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "--data-root: \"models\" is not an absolute path");
}

TEST(CoordinatorPathsTest, SubmitOutsideTheRootsIsRefusedOverGrpc) {
  CoordinatorOptions options = LocalOptions();
  options.security.data_roots = {"/data", "/models"};
  auto started = Coordinator::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<Coordinator> coordinator = std::move(*started);
  auto stub = v1::Coordinator::NewStub(
      common::MakeChannel(common::ChannelOptions{"127.0.0.1:" + std::to_string(coordinator->port()), {}}));
  auto submit = [&](const std::string& spec, v1::SubmitExperimentResponse* out) {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitExperimentRequest r;
    r.set_spec_yaml(spec);
    r.set_spec_name("paths.yaml");
    return stub->SubmitExperiment(&c, r, out);
  };
  const std::string head = "name: p\ndata: {base: ptbxl, root: ";
  const std::string tail = ", mapped: ecg-qa-ptbxl, mapped_root: qa}\nmodel: {llm: {path: /models/llama}}\nevaluate: {}\n";
  v1::SubmitExperimentResponse out;
  grpc::Status outside = submit(head + "/etc" + tail, &out);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(outside.error_message(), "data.root: /etc is outside the allowed roots (/data, /models)");
  grpc::Status dotdot = submit(head + "/data/../etc" + tail, &out);
  EXPECT_EQ(dotdot.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dotdot.error_message(), "data.root: \"/data/../etc\" contains '..'");

  grpc::ClientContext c;
  v1::ListExperimentsResponse listed;
  ASSERT_TRUE(stub->ListExperiments(&c, {}, &listed).ok());
  EXPECT_EQ(listed.experiments_size(), 0);
  EXPECT_TRUE(submit(head + "ptb-xl" + tail, &out).ok());
}

}  // namespace
}  // namespace ecgbench::server
