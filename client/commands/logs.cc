// `ecgbench logs ID [-f] [--run R] [--stage S] [--task T] [--rank N] [--level L]`.
#include <chrono>
#include <memory>
#include <thread>

#include <grpcpp/client_context.h>

#include "absl/strings/numbers.h"
#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/format.h"
#include "client/ui/json.h"
#include "client/ui/plain_view.h"
#include "common/util/clock.h"

namespace ecgbench::client {

namespace {

constexpr int64_t kReconnectTimeoutMs = 60000;

struct LogsOptions {
  std::string id;
  bool follow = false;
  std::string run;
  std::string stage;
  std::string task;
  int rank = -1;
  std::string level;
  bool json = false;
};

// --run accepts a run id, a run name ("fold=1") or a run index ("0").
absl::StatusOr<std::string> ResolveRun(CommandContext& ctx, const std::string& experiment_id, const std::string& run) {
  auto experiment = ctx.client().GetExperiment(experiment_id);
  if (!experiment.ok()) return experiment.status();
  int index = -1;
  const bool numeric = absl::SimpleAtoi(run, &index);
  for (const auto& r : experiment->runs()) {
    if (r.id() == run) return r.id();
  }
  for (const auto& r : experiment->runs()) {
    if (r.name() == run || (numeric && r.index() == index)) return r.id();
  }
  return absl::NotFoundError("experiment " + experiment_id + " has no run \"" + run +
                             "\" (give a run id, name or index; see ecgbench status " + experiment_id + ")");
}

int RunLogs(CommandContext& ctx, const LogsOptions& o) {
  v1::StreamLogsRequest request;
  request.set_experiment_id(o.id);
  if (!o.run.empty()) {
    auto run_id = ResolveRun(ctx, o.id, o.run);
    if (!run_id.ok()) return ctx.Fail(run_id.status());
    request.set_run_id(*run_id);
  }
  request.set_stage(o.stage);
  request.set_task_id(o.task);
  if (o.rank >= 0) request.set_rank(o.rank);
  v1::LogLevel level = v1::LOG_LEVEL_UNSPECIFIED;
  if (!o.level.empty()) ParseLogLevel(o.level, &level);
  request.set_min_level(level);
  request.set_follow(o.follow);

  common::Clock* clock = common::RealClock::Get();
  int64_t disconnected_since = -1;
  int backoff_ms = 100;
  while (true) {
    grpc::ClientContext context;
    auto reader = ctx.client().stub().StreamLogs(&context, request);
    v1::LogLine line;
    while (reader->Read(&line)) {
      request.set_after_seq(line.seq());
      disconnected_since = -1;
      ctx.out() << (o.json ? ToJson(line, /*pretty=*/false) : FormatLogLine(line));
      if (o.follow) ctx.out() << std::flush;
    }
    ctx.out() << std::flush;
    const grpc::Status status = reader->Finish();
    if (status.ok()) return kExitOk;
    // A followed stream survives a coordinator restart: resume after the last line shown.
    const int64_t now = clock->NowMonotonicMs();
    if (disconnected_since < 0) disconnected_since = now;
    if (!o.follow || status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        now - disconnected_since > kReconnectTimeoutMs) {
      return ctx.Fail(ctx.client().Describe(status, "StreamLogs"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

}  // namespace

void AddLogsCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* cmd = app.add_subcommand("logs", "Print an experiment's log lines");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  cmd->add_flag("--follow,-f", o->follow, "Keep printing new lines until the experiment ends");
  cmd->add_option("--run", o->run, "Only this run (id, name or index)");
  cmd->add_option("--stage", o->stage, "Only this stage (id or kind, e.g. train)");
  cmd->add_option("--task", o->task, "Only this task (id)");
  cmd->add_option("--rank", o->rank, "Only this rank")->check(CLI::NonNegativeNumber)->default_str("");
  cmd->add_option("--level", o->level, "Minimum level: debug, info, warning, error")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            v1::LogLevel level;
            return ParseLogLevel(text, &level) ? "" : "expected debug, info, warning or error; got \"" + text + "\"";
          },
          "LEVEL"));
  cmd->add_flag("--json", o->json, "Print each line as one JSON document per line");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunLogs(ctx, *o); }; });
}

}  // namespace ecgbench::client
