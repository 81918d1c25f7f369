// The tokenizer stage: training-fold segments -> normalized symbols -> ECG-Byte BPE -> artifact.
#include "worker/stages/tokenizer_runner.h"

#include <filesystem>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/repr/ecg_byte/bpe_trainer.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/normalize.h"
#include "common/repr/signal/percentile_stats.h"
#include "common/util/status_macros.h"
#include "worker/stages/run_data.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;
namespace repr = common::repr;

namespace {

struct Params {
  int merges = 6000;
  int64_t samples = 300000;
  std::string normalization = "minmax";
};

absl::StatusOr<Params> ParseParams(const nlohmann::json& params) {
  Params p;
  try {
    const nlohmann::json& r = params.at("representation");
    if (r.contains("normalization") && r["normalization"].is_string()) p.normalization = r["normalization"];
    if (r.contains("ecg_byte") && r["ecg_byte"].is_object()) {
      p.merges = r["ecg_byte"].value("merges", p.merges);
      p.samples = r["ecg_byte"].value("samples", p.samples);
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("tokenizer params: ", e.what()));
  }
  if (p.merges < 1 || p.merges > repr::kMaxMerges) {
    return absl::InvalidArgumentError(
        absl::StrCat("representation.ecg_byte.merges: ", p.merges, " is outside 1..", repr::kMaxMerges));
  }
  if (p.samples < 1) {
    return absl::InvalidArgumentError(absl::StrCat("representation.ecg_byte.samples: ", p.samples, " must be >= 1"));
  }
  return p;
}

}  // namespace

absl::StatusOr<TaskResult> TokenizerRunner::Run(TaskContext& ctx) {
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(ctx.assignment()));
  ECGBENCH_ASSIGN_OR_RETURN(Params p, ParseParams(run.params));
  const uint64_t seed = run.fold_seed;
  ecg::ContentHash key("tokenizer");
  key.SetParameters({{"merges", p.merges},
                     {"samples", p.samples},
                     {"normalization", p.normalization},
                     {"test_fold", run.test_fold + 1},
                     {"seed", seed},
                     {"corpus", "training folds, one sequence per segment"},
                     {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(std::string artifact, ecg::ArtifactDir(options_.artifact_root, "tokenizer", hash));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  const std::string tokenizer_path = artifact + "/tokenizer.json";
  const std::string hf_path = artifact + "/tokenizer.hf.json";
  const std::string percentiles_path = artifact + "/percentiles.json";
  const bool percentile = p.normalization == "percentile";
  auto result_doc = [&](int vocab_size, bool reused) {
    nlohmann::json doc = {{"tokenizer", tokenizer_path}, {"hf_tokenizer", hf_path}, {"artifact", artifact},
                          {"key", hash},                 {"vocab_size", vocab_size}, {"reused", reused},
                          {"normalization", p.normalization}};
    if (percentile) doc["percentiles"] = percentiles_path;
    return doc.dump();
  };

  TaskResult result;
  if (ecg::IsArtifactComplete(artifact)) {
    ECGBENCH_ASSIGN_OR_RETURN(repr::TokenizerFile file, repr::LoadTokenizer(tokenizer_path));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("reusing tokenizer ", artifact, " (", file.tokenizer.num_merges(),
                                             " merges, key ", hash, ")"));
    result.results = {{"vocab_size", static_cast<double>(file.tokenizer.vocab_size())}, {"reused", 1}};
    result.result_json = result_doc(file.tokenizer.vocab_size(), true);
    return result;
  }

  // Files of an attempt that died before the completion marker are overwritten (atomically).
  std::error_code ec;
  std::filesystem::create_directories(artifact, ec);
  if (ec) return absl::InternalError(absl::StrCat(artifact, ": cannot create: ", ec.message()));
  const std::vector<int64_t> picks = SampleTrainSegments(run, p.samples, seed);
  if (picks.empty()) return absl::FailedPreconditionError("tokenizer: the training folds hold no segments");
  const int64_t length = run.store->segment_length();
  const int64_t per_segment = static_cast<int64_t>(ecg::kNumStandardLeads) * length;
  const int64_t total = per_segment * static_cast<int64_t>(picks.size());
  if (total > std::numeric_limits<int32_t>::max() - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "representation.ecg_byte.samples: ", picks.size(), " segments x ", per_segment, " symbols = ", total,
        " symbols exceeds the BPE trainer's limit of ", std::numeric_limits<int32_t>::max() - 1,
        "; sample fewer segments"));
  }

  repr::Normalizer normalizer = repr::Normalizer::MinMax();
  if (percentile) {
    repr::PercentileOptions po;
    po.seed = seed;
    ECGBENCH_ASSIGN_OR_RETURN(repr::PercentileStats stats, repr::EstimatePercentiles(*run.store, po));
    ECGBENCH_RETURN_IF_ERROR(repr::SavePercentileStats(stats, percentiles_path));
    normalizer = repr::Normalizer::Percentile(stats);
  } else if (p.normalization != "minmax") {
    return absl::InvalidArgumentError(absl::StrCat("representation.normalization: expected minmax or percentile, got \"",
                                                   p.normalization, "\""));
  }

  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("symbolizing ", picks.size(), " of ", run.train_segments.size(),
                                           " training segments (fold ", run.test_fold + 1, " held out): ", total,
                                           " symbols"));
  std::vector<std::string> corpus(picks.size());
  std::vector<float> normalized(static_cast<size_t>(per_segment));
  for (size_t i = 0; i < picks.size(); ++i) {
    if (ctx.cancelled()) return absl::CancelledError("tokenizer cancelled");
    const float* seg = run.store->Segment(picks[i]);
    absl::Status st =
        normalizer.Apply(absl::MakeConstSpan(seg, static_cast<size_t>(per_segment)), absl::MakeSpan(normalized)).status();
    if (st.ok()) {
      corpus[i].reserve(static_cast<size_t>(per_segment));
      st = repr::SymbolizeAppend(normalized.data(), per_segment, length, &corpus[i]);
    }
    if (!st.ok()) return absl::Status(st.code(), absl::StrCat("segment ", picks[i], ": ", st.message()));
  }

  repr::BpeTrainerOptions bo;
  bo.num_merges = p.merges;
  bo.num_threads = std::max(1, ctx.assignment().cpu_cores());
  bo.progress_every = std::max(1, p.merges / 100);
  bo.progress = [&](int done, int asked) {
    ctx.ReportProgress(done, asked, "merges", absl::StrCat(done, " of ", asked, " merges"));
  };
  ECGBENCH_ASSIGN_OR_RETURN(repr::BpeTrainResult trained, repr::TrainBpe(corpus, bo));
  const int done = static_cast<int>(trained.merges.size());
  ctx.ReportProgress(done, done, "merges", absl::StrCat(done, " merges"));
  corpus.clear();
  corpus.shrink_to_fit();
  if (trained.stopped_early) {
    ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("BPE stopped after ", trained.merges.size(), " of ", p.merges,
                                                " merges: no pair occurs twice any more"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(repr::EcgByteTokenizer tokenizer, repr::EcgByteTokenizer::Create(trained.merges));
  const double symbols_per_token =
      trained.num_tokens > 0 ? static_cast<double>(trained.num_symbols) / static_cast<double>(trained.num_tokens) : 0;
  const nlohmann::json training = {{"segments", picks.size()},
                                   {"training_segments", run.train_segments.size()},
                                   {"symbols", trained.num_symbols},
                                   {"tokens", trained.num_tokens},
                                   {"symbols_per_token", symbols_per_token},
                                   {"merges_asked", p.merges},
                                   {"stopped_early", trained.stopped_early},
                                   {"normalization", p.normalization},
                                   {"test_fold", run.test_fold + 1},
                                   {"seed", seed},
                                   {"dataset_key", run.dataset_key},
                                   {"key", hash}};
  ECGBENCH_RETURN_IF_ERROR(repr::SaveTokenizer(tokenizer_path, tokenizer, training));
  ECGBENCH_RETURN_IF_ERROR(repr::ExportHfTokenizer(hf_path, tokenizer));
  ECGBENCH_RETURN_IF_ERROR(ecg::MarkArtifactComplete(artifact, training));
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("trained ", tokenizer.num_merges(), " merges on ", trained.num_symbols,
                                           " symbols (", symbols_per_token, " symbols per token) -> ", tokenizer_path));
  ctx.ReportMetric("symbols_per_token", symbols_per_token, 0);
  result.results = {{"vocab_size", static_cast<double>(tokenizer.vocab_size())},
                    {"merges", static_cast<double>(tokenizer.num_merges())},
                    {"symbols_per_token", symbols_per_token},
                    {"reused", 0}};
  result.result_json = result_doc(tokenizer.vocab_size(), false);
  return result;
}

}  // namespace ecgbench::worker
