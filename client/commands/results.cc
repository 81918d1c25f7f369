// `ecgbench results ID [--format table|csv|json] [--compare wilcoxon|paired_bootstrap|none]
//  [--metrics PATTERN,...]`: one row per run; in table form followed by the statistics across
// folds/seeds and the paired comparisons between variants when the matrix repeats variants over
// folds or seeds (client/ui/tables.h). --metrics keeps the metrics whose names match one of the
// comma-separated shell patterns (fnmatch: * and ? match any character, '/' and '.' included).
// `ecgbench results ID --eval`: the compact evaluation view that ends `ecgbench run`
// (client/ui/eval_table.h), with the train times read from the experiment's events.
#include <fnmatch.h>

#include <iterator>
#include <memory>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "client/commands/experiment_digest.h"
#include "client/ui/eval_table.h"
#include "client/ui/tables.h"

namespace ecgbench::client {

namespace {

struct ResultsOptions {
  std::string id;
  std::string format = "table";
  std::string compare = "wilcoxon";
  bool json = false;
  bool eval = false;
  std::string metrics;  // comma-separated patterns; empty: all
};

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
  for (const std::string& p : patterns) {
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

int RunEvalView(CommandContext& ctx, const ResultsOptions& o) {
  auto digest = ReadExperimentDigest(ctx.client(), o.id, /*read_events=*/true);
  if (!digest.ok()) return ctx.Fail(digest.status());
  const std::string view = RenderEvaluationView(digest->results, digest->train_seconds);
  ctx.out() << (view.empty() ? "(no evaluation or training results)\n" : view) << std::flush;
  return kExitOk;
}

int RunResults(CommandContext& ctx, const ResultsOptions& o) {
  if (o.eval) return RunEvalView(ctx, o);
  auto results = ctx.client().GetResults(o.id);
  if (!results.ok()) return ctx.Fail(results.status());
  if (!o.metrics.empty()) {
    const std::vector<std::string> patterns = absl::StrSplit(o.metrics, ',', absl::SkipWhitespace());
    for (auto& run : *results->mutable_runs()) {
      auto* metrics = run.mutable_metrics();
      for (auto it = metrics->begin(); it != metrics->end();) {
        it = MatchesAny(patterns, it->first) ? std::next(it) : metrics->erase(it);
      }
    }
  }
  ResultsFormat format = ResultsFormat::kTable;
  if (o.json || o.format == "json") format = ResultsFormat::kJson;
  else if (o.format == "csv") format = ResultsFormat::kCsv;
  ctx.out() << RenderResults(*results, format, o.compare) << std::flush;
  return kExitOk;
}

}  // namespace

void AddResultsCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ResultsOptions>();
  CLI::App* cmd = app.add_subcommand("results", "Print an experiment's results: one row per run, one column per metric (--eval: the compact evaluation view)");
  cmd->add_option("ID", o->id, "Experiment id")->required();
  CLI::Option* format =
      cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "csv", "json"}));
  CLI::Option* json = cmd->add_flag("--json", o->json, "Same as --format json");
  cmd->add_option("--compare", o->compare, "Paired test between variants over the same folds/seeds (table only)")
      ->check(CLI::IsMember({"wilcoxon", "paired_bootstrap", "none"}));
  CLI::Option* metrics = cmd->add_option(
      "--metrics", o->metrics, "Only metrics matching one of these comma-separated patterns (e.g. 'score.*,train.*')");
  cmd->add_flag("--eval", o->eval,
                "The compact view that ends `ecgbench run`: accuracy per question type, BLEU, METEOR, ROUGE-L "
                "per run and ablation condition, and the training summary")
      ->excludes(format)
      ->excludes(json)
      ->excludes(metrics);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunResults(ctx, *o); }; });
}

}  // namespace ecgbench::client
