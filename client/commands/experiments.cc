// `ecgbench list`, `ecgbench status ID` and `ecgbench cancel ID`.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/ui/experiment_tree.h"
#include "client/ui/format.h"
#include "client/ui/json.h"
#include "client/ui/tables.h"
#include "client/ui/watch_model.h"

namespace ecgbench::client {

namespace {

constexpr int kMaxPageSize = 500;

struct ListOptions {
  std::vector<std::string> states;
  std::string name;
  int limit = 50;
  bool json = false;
};

struct StatusOptions {
  std::string id;
  bool json = false;
};

struct CancelOptions {
  std::string id;
  std::string reason;
};

int RunList(CommandContext& ctx, const ListOptions& o) {
  v1::ListExperimentsRequest request;
  for (const auto& s : o.states) {
    v1::State state;
    if (ParseState(s, &state)) request.add_states(state);
  }
  request.set_name_contains(o.name);
  v1::ListExperimentsResponse all;
  while (true) {
    const int want = o.limit > 0 ? o.limit - all.experiments_size() : kMaxPageSize;
    request.set_page_size(std::min(want, kMaxPageSize));
    auto page = ctx.client().ListExperiments(request);
    if (!page.ok()) return ctx.Fail(page.status());
    for (auto& e : *page->mutable_experiments()) {
      if (o.limit > 0 && all.experiments_size() >= o.limit) break;
      *all.add_experiments() = std::move(e);
    }
    all.set_next_page_token(page->next_page_token());
    if (page->next_page_token().empty() || (o.limit > 0 && all.experiments_size() >= o.limit)) break;
    request.set_page_token(page->next_page_token());
  }
  if (o.json) {
    ctx.out() << ToJson(all, /*pretty=*/true);
  } else if (all.experiments().empty()) {
    ctx.out() << "(no experiments)\n";
  } else {
    ctx.out() << RenderTable(ExperimentsTable({all.experiments().begin(), all.experiments().end()}));
  }
  return kExitOk;
}

int RunStatus(CommandContext& ctx, const StatusOptions& o) {
  auto experiment = ctx.client().GetExperiment(o.id);
  if (!experiment.ok()) return ctx.Fail(experiment.status());
  if (o.json) {
    v1::GetExperimentResponse response;
    *response.mutable_experiment() = std::move(*experiment);
    ctx.out() << ToJson(response, /*pretty=*/true);
    return kExitOk;
  }
  absl::flat_hash_map<std::string, std::string> names;
  if (auto workers = ctx.client().ListWorkers(/*include_gone=*/true); workers.ok()) {
    for (const auto& w : workers->workers()) names[w.id()] = w.name();
  }  // without the list the tree shows worker ids, which is still correct
  ctx.out() << RenderExperimentTree(*experiment, names);
  return kExitOk;
}

int RunCancel(CommandContext& ctx, const CancelOptions& o) {
  auto experiment = ctx.client().CancelExperiment(o.id, o.reason);
  if (!experiment.ok()) return ctx.Fail(experiment.status());
  if (IsTerminal(experiment->state())) {
    ctx.out() << "experiment " << o.id << " is already " << StateName(experiment->state()) << "\n";
  } else {
    ctx.out() << "cancel requested for experiment " << o.id << " (now " << StateName(experiment->state()) << ")\n";
  }
  return kExitOk;
}

CLI::Validator StateValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        v1::State state;
        if (ParseState(text, &state)) return "";
        return "expected one of pending, running, succeeded, failed, cancelling, cancelled; got \"" + text + "\"";
      },
      "STATE");
}

}  // namespace

void AddExperimentCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto lo = std::make_shared<ListOptions>();
  CLI::App* list = app.add_subcommand("list", "List experiments, newest first");
  list->add_option("--state", lo->states, "Only experiments in this state (repeatable)")
      ->check(StateValidator())
      ->default_str("");
  list->add_option("--name", lo->name, "Only experiments whose name contains this text");
  list->add_option("--limit", lo->limit, "Show at most N experiments (0: all)")
      ->check(CLI::NonNegativeNumber);
  list->add_flag("--json", lo->json, "Print as JSON (one ListExperimentsResponse)");
  list->callback([&ctx, action, lo] { *action = [&ctx, lo] { return RunList(ctx, *lo); }; });

  auto so = std::make_shared<StatusOptions>();
  CLI::App* status = app.add_subcommand("status", "Show an experiment as a tree: runs, stages, tasks");
  status->add_option("ID", so->id, "Experiment id")->required();
  status->add_flag("--json", so->json, "Print as JSON (one GetExperimentResponse)");
  status->callback([&ctx, action, so] { *action = [&ctx, so] { return RunStatus(ctx, *so); }; });

  auto co = std::make_shared<CancelOptions>();
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel an experiment (running tasks are stopped)");
  cancel->add_option("ID", co->id, "Experiment id")->required();
  cancel->add_option("--reason", co->reason, "Why; stored with the experiment");
  cancel->callback([&ctx, action, co] { *action = [&ctx, co] { return RunCancel(ctx, *co); }; });
}

}  // namespace ecgbench::client
