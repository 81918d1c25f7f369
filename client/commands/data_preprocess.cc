// `ecgbench data preprocess --dataset D --root DIR --out DIR [--rate HZ] [--segment-len L]
// [--filters none|paper] [--nan skip|zero] [--resample M] [--threads N] [--shard K/N] [--json]`:
// a base dataset's catalog (formats/catalogs.h) through the preprocess pipeline
// (pipeline/preprocess.h) into a segment store, locally. Prints the counts and the first errors; a
// progress line on a terminal. Ctrl-C stops it (exit 130) and leaves no partial store.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/commands/data.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "client/commands/interrupt.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/formats/catalogs.h"
#include "common/ecg/pipeline/preprocess.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;

constexpr size_t kShownErrors = 10;

struct PreprocessCliOptions {
  std::string dataset;
  std::string root;
  std::string out;
  double rate = 250;
  int64_t segment_len = 1250;
  std::string filters = "none";
  std::string nan = "skip";
  std::string resample = "cubic";
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string shard = "0/1";
  bool json = false;
};

// "K/N" with 0 <= K < N.
bool ParseShard(const std::string& text, int* k, int* n) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  return absl::SimpleAtoi(text.substr(0, slash), k) && absl::SimpleAtoi(text.substr(slash + 1), n) && *n >= 1 &&
         *k >= 0 && *k < *n && text.find_first_not_of("0123456789/") == std::string::npos;
}

std::string ErrorLines(const std::string& title, const std::vector<std::string>& errors, int64_t total) {
  if (errors.empty()) return "";
  const size_t shown = std::min(errors.size(), kShownErrors);
  std::string out = absl::StrCat(title, " (", shown, " of ", total, "):\n");
  for (size_t i = 0; i < shown; ++i) absl::StrAppend(&out, "  ", errors[i], "\n");
  if (static_cast<int64_t>(shown) < total) absl::StrAppend(&out, "  ... (--json lists up to ", errors.size(), ")\n");
  return out;
}

int RunPreprocess(CommandContext& ctx, const PreprocessCliOptions& o) {
  int shard = 0, shards = 1;
  if (!ParseShard(o.shard, &shard, &shards)) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(
                          absl::StrCat("--shard: expected K/N with 0 <= K < N (e.g. 0/4), got \"", o.shard, "\"")),
                      kExitUsage);
  }
  ecg::PreprocessOptions options;
  options.dataset = o.dataset;
  options.target_rate_hz = o.rate;
  options.segment_len = o.segment_len;
  options.paper_filters = o.filters == "paper";
  options.threads = o.threads;
  auto nan = ecg::ParseNanPolicy(o.nan);
  auto method = ecg::ParseResampleMethod(o.resample);
  if (!nan.ok()) return data::Fail(ctx, nan.status(), kExitUsage);
  if (!method.ok()) return data::Fail(ctx, method.status(), kExitUsage);
  options.nan = *nan;
  options.resample = *method;

  std::error_code exists_ec;
  if (std::filesystem::exists(o.out, exists_ec)) {
    return data::Fail(
        ctx, absl::AlreadyExistsError(absl::StrCat(o.out, ": already exists (--out must name a new directory)")),
        kExitFailed);
  }
  auto catalog = ecg::LoadCatalog(o.dataset, o.root);
  if (!catalog.ok()) return data::Fail(ctx, catalog.status(), kExitInvalidArgument);
  const auto [begin, end] = ecg::ShardRange(catalog->refs.size(), shard, shards);

  options.parameters = {{"dataset", o.dataset}, {"rate_hz", o.rate}, {"segment_len", o.segment_len},
                        {"filters", o.filters}, {"nan", o.nan},      {"resample", o.resample}};
  std::error_code ec;
  const std::filesystem::path root_abs = std::filesystem::absolute(o.root, ec);
  ecg::ContentHash hash("segments");
  hash.SetParameters(options.parameters);
  hash.AddInput("catalog", {{"dataset", o.dataset},
                            {"root", ec ? o.root : root_abs.lexically_normal().string()},
                            {"records", catalog->refs.size()},
                            {"begin", begin},
                            {"end", end}});
  options.content_hash = hash.Hex();

  ecg::PreprocessHooks hooks;
  // Ctrl-C stops between batches of records; the partial store is removed.
  InstallInterruptHandlers();
  const int interrupts_at_start = InterruptCount();
  hooks.cancelled = [interrupts_at_start] { return InterruptCount() != interrupts_at_start; };
  const bool progress = !o.json && ctx.terminal().is_tty;
  if (progress) {
    hooks.progress = [&ctx](const ecg::PreprocessCounts& c) {
      ctx.out() << "\rrecords " << c.records_done + c.records_skipped << "/" << c.records_total << "  skipped "
                << c.records_skipped << "  segments " << c.segments << std::flush;
    };
  }
  auto counts = ecg::PreprocessRecords(catalog->refs, begin, end, options, o.out, hooks);
  if (progress) ctx.out() << "\n";
  if (absl::IsCancelled(counts.status())) {
    return data::Fail(ctx, absl::CancelledError(absl::StrCat("interrupted: nothing was written to ", o.out)),
                      kExitInterrupted);
  }
  if (!counts.ok()) {
    return data::Fail(ctx, counts.status(),
                      absl::IsInvalidArgument(counts.status()) ? kExitInvalidArgument : kExitFailed);
  }
  const ecg::LoadReport& report = catalog->report;
  if (o.json) {
    nlohmann::json j = {
        {"dataset", o.dataset},
        {"root", o.root},
        {"out", o.out},
        {"shard", {{"index", shard}, {"count", shards}, {"begin", begin}, {"end", end}}},
        {"catalog", {{"rows", report.rows}, {"skipped", report.skipped}, {"problems", report.problems}}},
        {"content_hash", options.content_hash},
        {"counts", counts->ToJson()}};
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  std::string text = absl::StrCat("preprocessed ", o.dataset, " records ", begin, "..", end, " of ",
                                  catalog->refs.size(), " (shard ", shard, "/", shards, ") into ", o.out, "\n");
  absl::StrAppend(&text, "  ",
                  data::KeyLine("records", absl::StrCat(counts->records_done, " done, ", counts->records_skipped,
                                                        " skipped (of ", counts->records_total, ")")));
  absl::StrAppend(&text, "  ",
                  data::KeyLine("segments", absl::StrCat(counts->segments, " (", o.segment_len, " samples at ",
                                                         data::Num(o.rate), " Hz)")));
  absl::StrAppend(&text, "  ",
                  data::KeyLine("catalog", absl::StrCat(report.rows, " rows, ", report.skipped, " skipped")));
  for (absl::string_view line : absl::StrSplit(data::QualityLines(counts->quality), '\n', absl::SkipEmpty())) {
    absl::StrAppend(&text, "  ", line, "\n");
  }
  absl::StrAppend(&text, ErrorLines("skipped records", counts->errors, counts->records_skipped));
  absl::StrAppend(&text, ErrorLines("catalog rows left out", report.problems, report.skipped));
  ctx.out() << text << std::flush;
  return kExitOk;
}

}  // namespace

void AddDataPreprocessCommand(CLI::App& data, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<PreprocessCliOptions>();
  CLI::App* cmd = data.add_subcommand("preprocess", "Preprocess a base dataset into a segment store, locally");
  cmd->add_option("--dataset", o->dataset, "Dataset layout of --root")
      ->required()
      ->check(CLI::IsMember({"ptbxl", "mimic", "code15", "cpsc", "csn"}));
  cmd->add_option("--root", o->root, "The dataset's root directory (as distributed)")->required();
  cmd->add_option("--out", o->out, "The segment store directory to create (must not exist)")->required();
  cmd->add_option("--rate", o->rate, "Target sampling rate, Hz")->check(CLI::PositiveNumber);
  cmd->add_option("--segment-len", o->segment_len, "Samples per segment (e.g. 500, 1250, 2500)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--filters", o->filters, "none, or paper (notch 50/60, band-pass, high-pass, db6)")
      ->check(CLI::IsMember({"none", "paper"}));
  cmd->add_option("--nan", o->nan, "NaN/Inf segments: skip (and count) or zero (zero-fill)")
      ->check(CLI::IsMember({"skip", "zero"}));
  cmd->add_option("--resample", o->resample, "Resampling: cubic (upstream-exact) or polyphase")
      ->check(CLI::IsMember({"cubic", "polyphase"}));
  cmd->add_option("--threads", o->threads, "Worker threads (default: the hardware threads)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--shard", o->shard, "Process only shard K of N (K from 0): a contiguous, balanced record range");
  cmd->add_flag("--json", o->json, "Print the counts as one JSON document");
  cmd->footer(data::kDataFooter);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunPreprocess(ctx, *o); }; });
}

}  // namespace ecgbench::client
