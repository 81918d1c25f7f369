// The status tree and plan summary.
#include "client/ui/experiment_tree.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ui/format.h"

namespace ecgbench::client {

namespace {

std::string Plural(int n, const char* word) { return absl::StrCat(n, " ", word, n == 1 ? "" : "s"); }

std::string ProgressText(const v1::Progress& p) {
  if (p.total() <= 0 && p.done() <= 0) return "";
  std::string out = p.total() > 0 ? absl::StrCat(p.done(), "/", p.total()) : absl::StrCat(p.done());
  if (!p.unit().empty()) absl::StrAppend(&out, " ", p.unit());
  if (p.total() > 0) absl::StrAppend(&out, " (", p.done() * 100 / p.total(), "%)");
  if (!p.message().empty()) absl::StrAppend(&out, " ", p.message());
  return out;
}

// Stage ids of `run` -> their kinds, to show dependencies by kind.
std::vector<std::string> DependencyKinds(const v1::Run& run, const v1::Stage& stage) {
  std::vector<std::string> kinds;
  for (const auto& dep : stage.depends_on()) {
    std::string kind = dep;
    for (const auto& s : run.stages()) {
      if (s.id() == dep) kind = s.kind();
    }
    kinds.push_back(kind);
  }
  return kinds;
}

}  // namespace

std::string RunLabel(const v1::Run& run) {
  if (run.name().empty()) return absl::StrCat("run ", run.index());
  return absl::StrCat("run ", run.index(), " (", run.name(), ")");
}

std::string TaskLabel(const v1::Task& task) {
  std::string out = task.num_shards() > 1 ? absl::StrCat("shard ", task.shard() + 1, "/", task.num_shards()) : "task";
  if (task.ranks() > 1) absl::StrAppend(&out, " (", task.ranks(), " ranks)");
  return out;
}

std::string PlanCounts(const v1::Experiment& experiment) {
  int stages = 0, tasks = 0;
  for (const auto& run : experiment.runs()) {
    stages += run.stages_size();
    for (const auto& stage : run.stages()) tasks += stage.tasks_size();
  }
  return absl::StrCat(Plural(experiment.runs_size(), "run"), ", ", Plural(stages, "stage"), ", ",
                      Plural(tasks, "task"));
}

std::string RenderPlan(const v1::Experiment& experiment) {
  std::string out;
  for (const auto& run : experiment.runs()) {
    absl::StrAppend(&out, "  ", RunLabel(run), "\n");
    for (const auto& stage : run.stages()) {
      absl::StrAppend(&out, "    ", stage.kind());
      const auto deps = DependencyKinds(run, stage);
      if (!deps.empty()) absl::StrAppend(&out, "  after ", absl::StrJoin(deps, ", "));
      int ranks = 0;
      for (const auto& task : stage.tasks()) ranks = std::max(ranks, task.ranks());
      absl::StrAppend(&out, "  (", Plural(stage.tasks_size(), "task"));
      if (ranks > 1) absl::StrAppend(&out, ", ", ranks, " ranks each");
      absl::StrAppend(&out, ")\n");
    }
  }
  return out;
}

std::string RenderExperimentTree(const v1::Experiment& e,
                                 const absl::flat_hash_map<std::string, std::string>& worker_names) {
  std::string out = absl::StrCat("experiment ", e.id());
  if (!e.name().empty()) absl::StrAppend(&out, " \"", e.name(), "\"");
  absl::StrAppend(&out, "  ", StateName(e.state()), "  tasks ", e.tasks_done(), "/", e.tasks_total(), "\n");
  absl::StrAppend(&out, "  created ", FormatLocalTime(e.created_unix_ms()));
  if (e.started_unix_ms() > 0) absl::StrAppend(&out, "  started ", FormatLocalTime(e.started_unix_ms()));
  if (e.finished_unix_ms() > 0) absl::StrAppend(&out, "  finished ", FormatLocalTime(e.finished_unix_ms()));
  absl::StrAppend(&out, "\n");
  if (!e.error().empty()) absl::StrAppend(&out, "  error: ", e.error(), "\n");
  for (const auto& run : e.runs()) {
    absl::StrAppend(&out, "  ", RunLabel(run), " ", run.id(), "  ", StateName(run.state()), "\n");
    for (const auto& stage : run.stages()) {
      absl::StrAppend(&out, "    ", stage.kind(), " ", stage.id(), "  ", StateName(stage.state()));
      const auto deps = DependencyKinds(run, stage);
      if (!deps.empty()) absl::StrAppend(&out, "  after ", absl::StrJoin(deps, ", "));
      absl::StrAppend(&out, "\n");
      for (const auto& task : stage.tasks()) {
        absl::StrAppend(&out, "      ", TaskLabel(task), " ", task.id(), "  ", StateName(task.state()),
                        "  attempts ", task.attempts());
        if (task.worker_ids_size() > 0) {
          std::vector<std::string> names;
          for (const auto& id : task.worker_ids()) {
            auto it = worker_names.find(id);
            names.push_back(it == worker_names.end() ? id : it->second);
          }
          absl::StrAppend(&out, "  on ", absl::StrJoin(names, ","));
        }
        const std::string progress = ProgressText(task.progress());
        if (!progress.empty()) absl::StrAppend(&out, "  ", progress);
        absl::StrAppend(&out, "\n");
        if (!task.error().empty()) absl::StrAppend(&out, "        error: ", task.error(), "\n");
      }
    }
  }
  return out;
}

}  // namespace ecgbench::client
