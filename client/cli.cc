// Command tree, parse adapter and dispatch.
#include "client/cli.h"

#include "CLI/CLI.hpp"
#include "client/commands/commands.h"
#include "client/commands/data.h"
#include "client/commands/exit_codes.h"
#include "common/util/logging.h"
#include "spdlog/spdlog.h"

#ifndef ECGBENCH_VERSION
#define ECGBENCH_VERSION "dev"
#endif

namespace ecgbench::client {

namespace {

absl::Status SetUpLogging(const std::string& level) {
  if (spdlog::get("ecgbench") == nullptr) return common::InitLogging("ecgbench", level);
  spdlog::set_level(spdlog::level::from_str(level));
  return absl::OkStatus();
}

}  // namespace

int RunCli(int argc, const char* const* argv, const Io& io) {
  CommandContext ctx(io);
  Action action;
  CLI::App app("ECG-Bench: submit, watch and inspect experiments, or run one locally", "ecgbench");
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.set_version_flag("--version", std::string("ecgbench ") + ECGBENCH_VERSION);
  GlobalOptions& g = ctx.global();
  app.add_option("--coordinator", g.coordinator, "Coordinator address host:port")->envname(kCoordinatorEnv);
  app.add_option("--timeout", g.timeout_seconds, "Deadline of each RPC, in seconds")->check(CLI::PositiveNumber);
  app.add_option("--log-level", g.log_level, "CLI diagnostics on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  common::SecurityFiles& sf = g.security_files;
  app.add_option("--token", sf.token, "Bearer token sent to the coordinator")->envname(kTokenEnv);
  app.add_option("--token-file", sf.token_file, "File holding the bearer token")->envname(kTokenFileEnv);
  app.add_option("--tls-ca", sf.tls_ca, "TLS: verify the coordinator against this CA (PEM)")->envname(kTlsCaEnv);
  app.add_option("--tls-cert", sf.tls_cert, "mutual TLS: client certificate (PEM)")->envname(kTlsCertEnv);
  app.add_option("--tls-key", sf.tls_key, "mutual TLS: client private key (PEM)")->envname(kTlsKeyEnv);

  AddSubmitCommands(app, ctx, &action);
  AddExperimentCommands(app, ctx, &action);
  AddWatchCommands(app, ctx, &action);
  AddLogsCommands(app, ctx, &action);
  AddResultsCommands(app, ctx, &action);
  AddReportCommands(app, ctx, &action);
  AddWorkersCommands(app, ctx, &action);
  AddHealthCommands(app, ctx, &action);
  AddRunCommands(app, ctx, &action);
  AddTokenizerCommands(app, ctx, &action);
  AddDataCommands(app, ctx, &action);
  AddEcgCommands(app, ctx, &action);
  AddTextCommands(app, ctx, &action);
  AddScoreCommands(app, ctx, &action);
  AddChatCommands(app, ctx, &action);
  app.footer(
      "Exit codes: 0 success (experiment SUCCEEDED), 1 experiment FAILED or other error, 2 usage error,\n"
      "3 experiment CANCELLED, 4 not found, 5 coordinator unavailable, 6 invalid input (spec or data rejected), 130 interrupted.\n"
      "Run `ecgbench <command> --help` for a command's options; docs/cli.md has the reference.");
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(
        "Global options (before or after the command): --coordinator ADDR (env ECGBENCH_COORDINATOR,\n"
        "default 127.0.0.1:50051), --timeout SECONDS (RPC deadline, default 30), --log-level LEVEL,\n"
        "--token T / --token-file F (env ECGBENCH_TOKEN / ECGBENCH_TOKEN_FILE), --tls-ca / --tls-cert / --tls-key\n"
        "(env ECGBENCH_TLS_CA / _CERT / _KEY); see docs/security.md.");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, *io.out, *io.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, *io.out, *io.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, *io.out, *io.err);
  } catch (const CLI::ParseError& e) {
    app.exit(e, *io.out, *io.err);
    return kExitUsage;
  }
  if (absl::Status st = SetUpLogging(g.log_level); !st.ok()) return ctx.Fail(st);
  if (absl::Status st = ctx.LoadSecurity(); !st.ok()) {
    ctx.Fail(st);
    return kExitUsage;
  }
  if (!action) return kExitUsage;  // unreachable: require_subcommand(1) makes parse fail first
  return action();
}

int RunCli(const std::vector<std::string>& args, const Io& io) {
  std::vector<const char*> argv = {"ecgbench"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return RunCli(static_cast<int>(argv.size()), argv.data(), io);
}

}  // namespace ecgbench::client
