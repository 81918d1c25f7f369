// collective_dp_rank: one rank of the data-parallel check as its own process (tests only).
// It meets its peers like a worker does: through an AssignmentRun (the agent's TaskContext) whose
// KV calls go over gRPC to a coordinator (the test serves one), then joins a Gloo group on
// 127.0.0.1, trains every scenario of dp_training.h and publishes each result in the KV under
// "result/<scenario>/<rank>" (raw float32 bytes).
// Usage: collective_dp_rank --coordinator=HOST:PORT --attempt=ID --rank=R --world=N
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/util/clock.h"
#include "tests/unit/worker/train/collective/dp_training.h"
#include "worker/agent/assignment_run.h"
#include "worker/agent/coordinator_client.h"
#include "worker/train/collective/gloo_collective.h"
#include "worker/train/collective/task_context_kv.h"

namespace {

using namespace ecgbench::worker;         // NOLINT: test binary
using namespace ecgbench::worker::train;  // NOLINT

absl::Status Run(const std::map<std::string, std::string>& flags) {
  int rank = 0;
  int world = 0;
  if (!absl::SimpleAtoi(flags.at("rank"), &rank) || !absl::SimpleAtoi(flags.at("world"), &world)) {
    return absl::InvalidArgumentError("--rank and --world must be integers");
  }
  CoordinatorClient client(grpc::CreateChannel(flags.at("coordinator"), grpc::InsecureChannelCredentials()),
                           absl::Seconds(10));
  ecgbench::v1::Assignment assignment;
  assignment.set_attempt_id(flags.at("attempt"));
  assignment.set_task_id("dp-check");
  assignment.set_stage_kind("train");
  assignment.set_rank(rank);
  assignment.set_world_size(world);
  AssignmentRunOptions run_options;
  run_options.client = &client;
  run_options.clock = ecgbench::common::RealClock::Get();
  AssignmentRun run(assignment, "", run_options);
  TaskContextKv kv(run);

  GlooOptions options;
  options.rank = rank;
  options.world_size = world;
  options.key_prefix = AttemptKeyPrefix(assignment, "gloo");
  options.hostname = "127.0.0.1";
  options.rendezvous_timeout = absl::Seconds(30);
  options.op_timeout = absl::Seconds(60);
  auto collective = CreateGlooCollective(kv, options);
  if (!collective.ok()) return collective.status();
  for (const std::string& name : testing::DpScenarioNames()) {
    auto params = testing::TrainMlp(testing::DpScenario(name, world, rank), collective->get());
    if (!params.ok()) return absl::Status(params.status().code(), absl::StrCat(name, ": ", params.status().message()));
    const std::string bytes(reinterpret_cast<const char*>(params->data()), params->size() * sizeof(float));
    if (absl::Status status = kv.Set(absl::StrCat("result/", name, "/", rank), bytes); !status.ok()) return status;
  }
  return (*collective)->Barrier();
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "collective_dp_rank: bad argument %s\n", arg.c_str());
      return 2;
    }
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  for (const char* required : {"coordinator", "attempt", "rank", "world"}) {
    if (flags.count(required) == 0) {
      std::fprintf(stderr, "collective_dp_rank: missing --%s\n", required);
      return 2;
    }
  }
  const absl::Status status = Run(flags);
  if (!status.ok()) {
    std::fprintf(stderr, "collective_dp_rank: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
