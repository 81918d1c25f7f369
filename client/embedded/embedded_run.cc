// The embedded run: local cluster, submit, watch, results view and report, clean stop.
#include "client/embedded/embedded_run.h"

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "client/commands/exit_codes.h"
#include "client/commands/experiment_digest.h"
#include "client/commands/interrupt.h"
#include "client/commands/watcher.h"
#include "client/embedded/local_cluster.h"
#include "client/ui/eval_table.h"
#include "client/ui/experiment_tree.h"
#include "client/ui/tables.h"
#include "common/report/report.h"
#include "common/util/clock.h"
#include "common/util/files.h"

namespace ecgbench::client {

namespace {

constexpr int kCancelWatchMs = 30000;

void PrintStateKept(CommandContext& ctx, const std::string& dir) {
  ctx.out() << "state kept in " << dir << " (coordinator.db, logs/)\n" << std::flush;
}

// Prints the results (the evaluation view, else the `results` table) and writes the report while
// the coordinator still serves. Returns ReportFilesText of what was written, "" when nothing was
// (the reason is printed to err).
std::string ShowResultsAndWriteReport(CommandContext& ctx, CoordinatorClient& client, const std::string& id,
                                      const std::string& state_dir) {
  auto digest = ReadExperimentDigest(client, id, /*read_events=*/true);
  if (!digest.ok()) {
    ctx.err() << "ecgbench: cannot fetch results: " << digest.status().message() << "\n" << std::flush;
    return "";
  }
  if (HasEvaluationView(digest->results)) {
    ctx.out() << "\n" << RenderEvaluationView(digest->results, digest->train_seconds);
  } else {
    ctx.out() << "\n" << RenderResults(digest->reply, ResultsFormat::kTable);
  }
  ctx.out() << "\n" << std::flush;
  const std::string dir = EmbeddedReportDir(state_dir, id);
  auto files = common::report::WriteReport(digest->results, dir);
  if (!files.ok()) {
    ctx.err() << "ecgbench: cannot write the report: " << files.status().message() << "\n" << std::flush;
    return "";
  }
  return ReportFilesText(dir, *files);
}

}  // namespace

std::string ReportFilesText(const std::string& dir, const std::vector<std::string>& files) {
  std::string out = absl::StrCat("report written to ", dir, ":\n");
  const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  int metric_plots = 0;  // one per metric and condition: counted, not listed (a quickstart makes ~60)
  for (const std::string& f : files) {
    absl::string_view name = f;
    if (!prefix.empty()) absl::ConsumePrefix(&name, prefix);
    if (absl::StartsWith(name, "metric_") && absl::EndsWith(name, ".png")) {
      ++metric_plots;
      continue;
    }
    absl::StrAppend(&out, "  ", name, "\n");
  }
  if (metric_plots > 0) {
    absl::StrAppend(&out, "  metric_*.png (", metric_plots, metric_plots == 1 ? " plot" : " plots",
                    ": each metric by variant)\n");
  }
  return out;
}

std::string EmbeddedRequestId(const std::string& spec_text, int64_t time_ns) {
  uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (unsigned char c : spec_text) mix(c);
  for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(static_cast<uint64_t>(time_ns) >> (8 * i)));
  return absl::StrFormat("run-%016x", h);
}

int CpusPerWorker(int cores, int workers) { return std::max(1, cores / std::max(1, workers)); }

int RunEmbedded(CommandContext& ctx, const EmbeddedRunOptions& o) {
  auto text = common::ReadFile(o.spec);
  if (!text.ok()) {
    ctx.err() << "ecgbench: " << text.status().message() << "\n";
    return kExitFailed;
  }
  InstallInterruptHandlers();
  const int interrupts_at_start = InterruptCount();
  auto interrupted = [&] { return InterruptCount() != interrupts_at_start; };

  LocalClusterOptions cluster_options;
  cluster_options.state_dir = o.state_dir;
  cluster_options.workers = o.workers;
  cluster_options.cpus_per_worker =
      CpusPerWorker(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), o.workers);
  cluster_options.bin_dir = o.bin_dir;
  cluster_options.data_roots = o.data_roots;
  // Warnings of the running cluster (a worker that exited) go through the watcher's display.
  std::ostringstream warnings;
  auto cluster = LocalCluster::Start(cluster_options, interrupted, &warnings);
  ctx.err() << warnings.str();
  warnings.str("");
  if (!cluster.ok()) {
    if (absl::IsCancelled(cluster.status())) {
      ctx.err() << "ecgbench: interrupted while starting the local coordinator\n";
      return kExitInterrupted;
    }
    ctx.err() << "ecgbench: " << cluster.status().message() << "\n";
    return kExitFailed;
  }
  LocalCluster& local = **cluster;
  ctx.out() << "local coordinator at " << local.address() << " with " << o.workers << " worker"
            << (o.workers == 1 ? "" : "s") << ", state in " << local.state_dir() << "\n"
            << std::flush;

  auto client = ctx.NewClient(local.address(), local.client_security());
  v1::SubmitExperimentRequest request;
  request.set_spec_yaml(*text);
  request.set_spec_name(std::filesystem::path(o.spec).filename().string());
  request.set_request_id(EmbeddedRequestId(*text, common::RealClock::Get()->NowUnixMs() * 1000000));
  auto submitted = client->Submit(request);
  if (!submitted.ok()) {
    local.Stop();
    if (absl::IsInvalidArgument(submitted.status())) {
      std::string message(submitted.status().message());
      if (message.empty() || message.back() != '\n') message += '\n';
      ctx.err() << message << std::flush;
      return kExitInvalidArgument;
    }
    return ctx.Fail(submitted.status());
  }
  const v1::Experiment& experiment = submitted->experiment();
  const std::string id = experiment.id();
  ctx.out() << "submitted " << id << ": " << PlanCounts(experiment) << "\n" << std::flush;

  WatchSettings settings;
  settings.tty = !o.plain && ctx.terminal().is_tty;
  settings.terminal = ctx.terminal_source();
  Watcher* display = nullptr;
  settings.health_check = [&local, &warnings, &display] {
    absl::Status health = local.Health();
    if (display != nullptr && !warnings.str().empty()) {
      display->Notice(warnings.str());
      warnings.str("");
    }
    return health;
  };
  Watcher watcher(client.get(), id, settings, &ctx.out());
  display = &watcher;
  auto outcome = watcher.Run();
  if (!outcome.ok()) {
    const int code = ctx.Fail(outcome.status());
    local.Stop();
    PrintStateKept(ctx, local.state_dir());
    return code;
  }
  if (outcome->interrupted) {
    ctx.err() << "ecgbench: interrupted; cancelling " << id << " (Ctrl-C again to stop at once)\n" << std::flush;
    auto cancelled = client->CancelExperiment(id, "interrupted (Ctrl-C) during ecgbench run");
    if (!cancelled.ok()) {
      ctx.err() << "ecgbench: " << cancelled.status().message() << "\n";
    } else {
      auto after = watcher.Run(common::RealClock::Get()->NowMonotonicMs() + kCancelWatchMs);
      if (after.ok() && after->timed_out) {
        ctx.err() << "ecgbench: " << id << " did not finish cancelling within " << kCancelWatchMs / 1000 << " s\n";
      }
    }
    ctx.out() << FinalSummary(watcher.model());
    local.Stop();
    PrintStateKept(ctx, local.state_dir());
    return kExitInterrupted;
  }
  ctx.out() << FinalSummary(watcher.model());
  const std::string report = ShowResultsAndWriteReport(ctx, *client, id, local.state_dir());
  if (o.keep_running) {
    ctx.out() << "coordinator still serving at " << local.address() << "; in another shell: export "
              << kCoordinatorEnv << "=" << local.address() << " " << kTokenFileEnv << "=" << local.admin_token_file()
              << "\npress Ctrl-C to stop\n"
              << std::flush;
    const int seen = InterruptCount();
    absl::Status health;
    while (InterruptCount() == seen && (health = local.Health()).ok()) {
      ctx.err() << warnings.str() << std::flush;
      warnings.str("");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!health.ok()) ctx.err() << "ecgbench: " << health.message() << "\n";
  }
  local.Stop();
  PrintStateKept(ctx, local.state_dir());
  ctx.out() << report << std::flush;
  return ExitCodeForState(outcome->state);
}

}  // namespace ecgbench::client
