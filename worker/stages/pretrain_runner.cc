// The pretrain stage: dispatch by encoder; Signal2Vec here (tokenizer + training-fold segments ->
// token sequences -> skip-gram embeddings), the ECG encoders in encoder_pretrain.cc.
#include "worker/stages/pretrain_runner.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/normalize.h"
#include "common/repr/signal/percentile_stats.h"
#include "common/repr/signal2vec/signal2vec_model.h"
#include "common/util/status_macros.h"
#include "worker/stages/encoder_pretrain.h"
#include "worker/stages/run_data.h"
#include "worker/train/signal2vec_trainer.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;
namespace repr = common::repr;

namespace {

struct TokenizerRef {
  std::string path;
  std::string percentiles;  // "" unless the normalization is percentile
  std::string normalization = "minmax";
};

// The tokenizer stage's result, else the spec's representation.ecg_byte.tokenizer.
absl::StatusOr<TokenizerRef> FindTokenizer(const v1::Assignment& a, const nlohmann::json& params) {
  TokenizerRef ref;
  try {
    const nlohmann::json& r = params.at("representation");
    if (r.contains("normalization") && r["normalization"].is_string()) ref.normalization = r["normalization"];
    const nlohmann::json in = nlohmann::json::parse(a.inputs_json());
    if (in.contains("tokenizer") && in["tokenizer"].is_array() && !in["tokenizer"].empty()) {
      ref.path = in["tokenizer"][0].at("tokenizer").get<std::string>();
      ref.percentiles = in["tokenizer"][0].value("percentiles", std::string());
    } else if (r.contains("ecg_byte") && r["ecg_byte"].is_object() && r["ecg_byte"].value("tokenizer", "") != "") {
      ref.path = r["ecg_byte"]["tokenizer"].get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("signal2vec params: ", e.what()));
  }
  if (ref.path.empty()) {
    return absl::FailedPreconditionError("signal2vec: no tokenizer (neither a tokenizer stage result nor "
                                         "representation.ecg_byte.tokenizer)");
  }
  if (ref.normalization == "percentile" && ref.percentiles.empty()) {
    return absl::FailedPreconditionError(
        "signal2vec: representation.normalization percentile needs the tokenizer stage's percentiles.json");
  }
  return ref;
}

}  // namespace

absl::StatusOr<TaskResult> PretrainRunner::Run(TaskContext& ctx) {
  std::string encoder;
  try {
    const nlohmann::json params = nlohmann::json::parse(ctx.assignment().params_json());
    encoder = params.at("representation").at("encoder").value("name", std::string());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("pretrain params: ", e.what()));
  }
  if (encoder == "signal2vec") return RunSignal2Vec(ctx);
  if (encoder == "st_mem" || encoder == "mtae" || encoder == "mlae" || encoder == "merl") {
    return RunEncoderPretrain(ctx, options_);
  }
  return absl::FailedPreconditionError(absl::StrCat("pretraining the ", encoder.empty() ? "vision" : encoder,
                                                    " encoder is not supported by this worker; give "
                                                    "representation.encoder.path (pretrained weights) instead"));
}

std::string PretrainedEncoderPath(const v1::Assignment& assignment) {
  const nlohmann::json in = nlohmann::json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("pretrain") || !in["pretrain"].is_array() || in["pretrain"].empty()) return "";
  const nlohmann::json& result = in["pretrain"][0];
  if (!result.is_object() || result.value("kind", std::string()) != "ecg_encoder") return "";
  const auto it = result.find("encoder");
  return it != result.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string PretrainedSignal2VecPath(const v1::Assignment& assignment) {
  const nlohmann::json in = nlohmann::json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("pretrain") || !in["pretrain"].is_array() || in["pretrain"].empty()) return "";
  const nlohmann::json& result = in["pretrain"][0];
  if (!result.is_object()) return "";
  const auto it = result.find("embeddings");
  return it != result.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<TaskResult> PretrainRunner::RunSignal2Vec(TaskContext& ctx) {
  const v1::Assignment& a = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(a));
  ECGBENCH_ASSIGN_OR_RETURN(TokenizerRef tok, FindTokenizer(a, run.params));
  ECGBENCH_ASSIGN_OR_RETURN(repr::TokenizerFile file, repr::LoadTokenizer(tok.path));
  ECGBENCH_ASSIGN_OR_RETURN(std::string tokenizer_digest, ecg::Sha256FileHex(tok.path));

  repr::Signal2VecOptions options;
  try {
    const nlohmann::json& s = run.params.at("representation").value("signal2vec", nlohmann::json::object());
    options.dim = s.value("dim", options.dim);
    options.epochs = s.value("epochs", options.epochs);
    options.window = s.value("window", options.window);
    options.negatives = s.value("negatives", options.negatives);
    options.min_count = s.value("min_count", options.min_count);
    options.max_pairs_per_epoch = s.value("max_pairs", options.max_pairs_per_epoch);
    options.batch_size = s.value("batch_size", options.batch_size);
    options.lr = s.value("lr", options.lr);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("pretrain params: representation.signal2vec: ", e.what()));
  }
  options.seed = run.fold_seed;
  options.threads = std::max(1, a.cpu_cores());
  if (a.gpu_uuids_size() > 0) options.device = "cuda";
  ECGBENCH_RETURN_IF_ERROR(repr::ValidateSignal2VecOptions(options));
  nlohmann::json option_json = repr::Signal2VecOptionsToJson(options);
  option_json.erase("threads");  // neither changes the result on CPU (single-thread determinism aside)
  option_json.erase("device");
  ecg::ContentHash key("signal2vec");
  key.SetParameters({{"options", option_json},
                     {"normalization", tok.normalization},
                     {"test_fold", run.test_fold + 1},
                     {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  key.AddInput("tokenizer", tokenizer_digest);
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(std::string artifact, ecg::ArtifactDir(options_.artifact_root, "signal2vec", hash));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  TaskResult result;
  auto doc = [&](const repr::Signal2VecModel& m, bool reused) {
    return nlohmann::json{{"embeddings", artifact},    {"artifact", artifact},   {"key", hash},
                          {"vocab_size", m.vocab_size}, {"dim", m.dim},           {"final_loss", m.final_loss},
                          {"tokenizer", tok.path},      {"reused", reused}}
        .dump();
  };
  if (ecg::IsArtifactComplete(artifact)) {
    ECGBENCH_ASSIGN_OR_RETURN(repr::Signal2VecModel model, repr::LoadSignal2VecModel(artifact));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("reusing Signal2Vec embeddings ", artifact));
    result.results = {{"final_loss", model.final_loss}, {"reused", 1}};
    result.result_json = doc(model, true);
    return result;
  }

  repr::Normalizer normalizer = repr::Normalizer::MinMax();
  if (tok.normalization == "percentile") {
    ECGBENCH_ASSIGN_OR_RETURN(repr::PercentileStats stats, repr::LoadPercentileStats(tok.percentiles));
    normalizer = repr::Normalizer::Percentile(stats);
  }
  const int64_t length = run.store->segment_length();
  const int64_t per_segment = static_cast<int64_t>(ecg::kNumStandardLeads) * length;
  std::vector<float> normalized(static_cast<size_t>(per_segment));
  std::string symbols;
  symbols.reserve(static_cast<size_t>(per_segment));
  std::vector<std::vector<int32_t>> sequences(run.train_segments.size());
  for (size_t i = 0; i < run.train_segments.size(); ++i) {
    if (ctx.cancelled()) return absl::CancelledError("signal2vec cancelled");
    const int64_t s = run.train_segments[i];
    const float* seg = run.store->Segment(s);
    symbols.clear();
    absl::Status st =
        normalizer.Apply(absl::MakeConstSpan(seg, static_cast<size_t>(per_segment)), absl::MakeSpan(normalized)).status();
    if (st.ok()) st = repr::SymbolizeAppend(normalized.data(), per_segment, length, &symbols);
    if (st.ok()) st = file.tokenizer.EncodeAppend(symbols, repr::EncodeMode::kLongestMatch, &sequences[i]);
    if (!st.ok()) return absl::Status(st.code(), absl::StrCat("segment ", s, ": ", st.message()));
    if (i % 256 == 0) ctx.ReportProgress(static_cast<int64_t>(i), static_cast<int64_t>(sequences.size()), "segments", "encoding");
  }
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("training Signal2Vec on ", sequences.size(), " token sequences (vocabulary ",
                                           file.tokenizer.vocab_size(), ", ", options.device, ")"));
  Signal2VecHooks hooks;
  hooks.on_progress = [&](int epoch, int64_t step, double loss) {
    ctx.ReportProgress(epoch, options.epochs, "epochs", absl::StrCat("step ", step, ", loss ", loss));
    ctx.ReportMetric("signal2vec_loss", loss, step);
  };
  hooks.cancelled = [&] { return ctx.cancelled() || ctx.preempt_requested(); };
  absl::StatusOr<repr::Signal2VecModel> model = TrainSignal2Vec(sequences, file.tokenizer.vocab_size(), options, hooks);
  if (!model.ok()) {
    if (model.status().code() == absl::StatusCode::kCancelled && ctx.preempt_requested()) return PreemptedStatus();
    return model.status();
  }
  ECGBENCH_RETURN_IF_ERROR(repr::SaveSignal2VecModel(*model, artifact));
  ECGBENCH_RETURN_IF_ERROR(ecg::MarkArtifactComplete(
      artifact, {{"final_loss", model->final_loss}, {"steps", model->steps}, {"sequences", sequences.size()}}));
  result.results = {{"final_loss", model->final_loss}, {"steps", static_cast<double>(model->steps)}, {"reused", 0}};
  result.result_json = doc(*model, false);
  return result;
}

}  // namespace ecgbench::worker
