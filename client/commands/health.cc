// `ecgbench health`: asks the coordinator's gRPC health service whether it serves (no token or role
// needed; TLS options apply). For container health checks and scripts: exit 0 when SERVING, 1 when
// NOT_SERVING, 5 when the coordinator does not answer.
#include <memory>
#include <string>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"

namespace ecgbench::client {
namespace {

int RunHealth(CommandContext& ctx, const std::string& service) {
  absl::StatusOr<bool> serving = ctx.client().Health(service);
  if (!serving.ok()) return ctx.Fail(serving.status());
  ctx.out() << (*serving ? "SERVING" : "NOT_SERVING") << "\n";
  return *serving ? kExitOk : kExitFailed;
}

}  // namespace

void AddHealthCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto service = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("health", "Ask the coordinator's gRPC health service whether it serves (exit 0 if so)");
  cmd->add_option("--service", *service, "Service to ask about (default: the server as a whole), e.g. ecgbench.v1.Coordinator");
  cmd->callback([&ctx, action, service] { *action = [&ctx, service] { return RunHealth(ctx, *service); }; });
}

}  // namespace ecgbench::client
