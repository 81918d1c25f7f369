// `ecgbench submit SPEC [--wait] [--request-id ID] [--validate-only]`.
#include <filesystem>
#include <memory>

#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/experiment_tree.h"
#include "client/ui/json.h"
#include "common/util/files.h"
#include "common/util/ids.h"

namespace ecgbench::client {

namespace {

struct SubmitOptions {
  std::string spec;
  bool wait = false;
  std::string request_id;
  bool validate_only = false;
  bool json = false;
  bool quiet = false;
};

int RunSubmit(CommandContext& ctx, const SubmitOptions& o) {
  auto text = common::ReadFile(o.spec);
  if (!text.ok()) {
    ctx.err() << "ecgbench: " << text.status().message() << "\n";
    return kExitFailed;  // a local file problem, not a coordinator's NOT_FOUND
  }
  v1::SubmitExperimentRequest request;
  request.set_spec_yaml(*text);
  request.set_spec_name(std::filesystem::path(o.spec).filename().string());
  // A fresh id unless given: the client's own retries (on UNAVAILABLE) then never duplicate.
  request.set_request_id(o.request_id.empty() ? common::RandomHex(16) : o.request_id);
  request.set_validate_only(o.validate_only);
  auto response = ctx.client().Submit(request);
  if (!response.ok()) {
    if (absl::IsInvalidArgument(response.status())) {
      // The coordinator's validation report (one error per line, each naming key path and line).
      std::string message(response.status().message());
      if (message.empty() || message.back() != '\n') message += '\n';
      ctx.err() << message << std::flush;
      return kExitInvalidArgument;
    }
    return ctx.Fail(response.status());
  }
  const v1::Experiment& e = response->experiment();
  if (o.json) {
    ctx.out() << ToJson(*response, /*pretty=*/!o.wait);
  } else if (o.validate_only) {
    ctx.out() << "spec OK" << (e.name().empty() ? "" : " \"" + e.name() + "\"") << ": " << PlanCounts(e) << "\n"
              << RenderPlan(e);
  } else if (o.quiet) {
    ctx.out() << e.id() << "\n";
  } else {
    ctx.out() << "submitted " << e.id() << (e.name().empty() ? "" : " \"" + e.name() + "\"") << ": "
              << PlanCounts(e) << "\n";
    if (!response->created()) {
      ctx.out() << "  (request id " << request.request_id() << " was used before: this is the experiment it created)\n";
    }
    if (!o.wait) ctx.out() << "  follow it with: ecgbench watch " << e.id() << "\n";
  }
  ctx.out() << std::flush;
  if (o.wait && !o.validate_only) return WatchToEnd(ctx, ctx.client(), e.id(), o.json);
  return kExitOk;
}

}  // namespace

void AddSubmitCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<SubmitOptions>();
  CLI::App* cmd = app.add_subcommand("submit", "Submit an experiment spec (YAML) to the coordinator");
  cmd->add_option("SPEC", o->spec, "Experiment spec file (YAML)")->required();
  cmd->add_flag("--wait,-w", o->wait, "Watch the experiment until it ends; exit code by its final state");
  cmd->add_option("--request-id", o->request_id,
                  "Idempotency key: resubmitting with the same id returns the same experiment "
                  "(default: a fresh random id)");
  cmd->add_flag("--validate-only", o->validate_only, "Parse, validate and expand only; print runs and stages");
  cmd->add_flag("--json", o->json, "Print the reply as JSON (with --wait: then one event per line)");
  cmd->add_flag("--quiet,-q", o->quiet, "Print only the experiment id");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunSubmit(ctx, *o); }; });
}

}  // namespace ecgbench::client
