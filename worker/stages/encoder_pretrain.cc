// Encoder pretraining (see encoder_pretrain.h): run data -> encoder -> shard source -> RunTraining
// with the MAE or MERL loss -> SaveEcgEncoder into a content-addressed artifact.
#include "worker/stages/shared_artifact.h"
#include "worker/stages/encoder_pretrain.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/spec/spec_json.h"
#include "common/util/det_random.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/resident_memory.h"
#include "common/util/status_macros.h"
#include "worker/data/segment_batcher.h"
#include "worker/nn/ecg_encoders/contrastive_loss.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/ecg_encoders/mae.h"
#include "worker/nn/ecg_encoders/merl.h"
#include "worker/stages/run_data.h"
#include "worker/stages/rank_device.h"
#include "worker/train/collective/gloo_collective.h"
#include "worker/train/collective/shard_indices.h"
#include "worker/train/collective/task_context_kv.h"
#include "worker/train/trainer.h"

namespace ecgbench::worker {
namespace {

namespace fs = std::filesystem;
namespace ecg = common::ecg;
using nlohmann::json;

// Upstream's pretraining recipe (HEAD train_encoder script): AdamW, lr 2e-4, weight decay 1e-5.
constexpr double kRecipeLr = 2e-4;
constexpr double kRecipeWeightDecay = 1e-5;
constexpr uint64_t kMaskStream = 0x656e635f70726574;  // "enc_pret": keeps these seeds apart from others

struct EncoderChoice {
  std::string name, preset = "base", text_encoder;
};

absl::StatusOr<EncoderChoice> ParseEncoder(const json& representation) {
  EncoderChoice c;
  const json enc = representation.value("encoder", json::object());
  auto text = [&](const char* key, std::string* out) -> absl::Status {
    if (!enc.contains(key) || enc[key].is_null()) return absl::OkStatus();
    if (!enc[key].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("representation.encoder.", key, ": expected a string, got ", enc[key].dump()));
    }
    *out = enc[key].get<std::string>();
    return absl::OkStatus();
  };
  ECGBENCH_RETURN_IF_ERROR(text("name", &c.name));
  ECGBENCH_RETURN_IF_ERROR(text("preset", &c.preset));
  ECGBENCH_RETURN_IF_ERROR(text("text_encoder", &c.text_encoder));
  const json kind = representation.value("kind", json("signal"));
  if (kind != "signal") {
    return absl::InvalidArgumentError(absl::StrCat("representation.kind: pretraining the ", c.name,
                                                   " encoder needs the signal representation, got ", kind.dump()));
  }
  return c;
}

// The train section's optimizer, with the fields left at the train defaults replaced by upstream's
// pretraining recipe.
absl::StatusOr<train::OptimizerOptions> PretrainOptimizer(const common::OptimizerSpec& o, double* lr) {
  const common::OptimizerSpec defaults;
  train::OptimizerOptions out;
  ECGBENCH_ASSIGN_OR_RETURN(out.kind, train::ParseOptimizerKind(o.name));
  out.beta1 = o.beta1;
  out.beta2 = o.beta2;
  out.eps = o.eps;
  out.weight_decay = o.weight_decay == defaults.weight_decay ? kRecipeWeightDecay : o.weight_decay;
  *lr = o.lr == defaults.lr ? kRecipeLr : o.lr;
  return out;
}

// The step of <root>/LATEST ("step-<N>"), 0 without one.
int64_t LatestCheckpointStep(const std::string& root) {
  absl::StatusOr<std::string> text = common::ReadFile(root + "/LATEST");
  int64_t step = 0;
  if (!text.ok()) return 0;
  absl::string_view name = absl::StripAsciiWhitespace(*text);
  return absl::ConsumePrefix(&name, "step-") && absl::SimpleAtoi(name, &step) ? step : 0;
}

// A micro-batch's extras, found again by the identity of its signal tensor (the trainer moves the
// tensor it got from Next into the loss hook).
struct Extras {
  const c10::TensorImpl* impl = nullptr;
  uint64_t seed = 0;
  torch::Tensor text;  // MERL: the frozen text encoder's embeddings [B, text_dim]
};

// This rank's shard of the training segments, batch_size rows per batch, one batch built ahead on
// a background thread (SegmentBatcher's threads build its rows; the text encoder runs there too).
class PretrainSource final : public train::BatchSource<torch::Tensor> {
 public:
  struct Config {
    int64_t batch_size = 1;
    bool drop_partial = false;  // MERL: equal batches for the InfoNCE over ranks
    int rank = 0, world = 1;
    uint64_t seed = 0;
    torch::Device device = torch::kCPU;
  };
  PretrainSource(SegmentBatcher& batcher, const RunData& run, TextEmbedder* text, Config config)
      : batcher_(batcher), run_(run), text_(text), config_(config) {}
  ~PretrainSource() override { Drain(); }

  int64_t NumBatches() const {
    const int64_t shard = train::ShardSize(batcher_.size(), config_.world, /*drop_last=*/false);
    return config_.drop_partial ? shard / config_.batch_size : (shard + config_.batch_size - 1) / config_.batch_size;
  }
  absl::Status StartEpoch(int64_t epoch, int64_t skip) override {
    Drain();
    pending_.clear();
    train::ShardOptions shard;
    shard.seed = config_.seed;
    ECGBENCH_ASSIGN_OR_RETURN(order_, train::ShardIndices(batcher_.size(), config_.rank, config_.world, epoch, shard));
    epoch_ = epoch;
    next_ = skip;
    Launch();
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<torch::Tensor>> Next() override {
    if (!ahead_.valid()) return std::optional<torch::Tensor>();
    absl::StatusOr<Built> built = ahead_.get();
    Launch();
    if (!built.ok()) return built.status();
    Extras extras;
    torch::Tensor signal = built->signal.to(config_.device);
    extras.impl = signal.unsafeGetTensorImpl();
    extras.seed = built->seed;
    if (built->text.defined()) extras.text = built->text.to(config_.device);
    pending_.push_back(std::move(extras));
    return std::optional<torch::Tensor>(std::move(signal));
  }
  // The extras of a batch Next returned (each once). Throws c10::Error for an unknown batch.
  Extras Take(const torch::Tensor& signal) {
    const auto it = std::find_if(pending_.begin(), pending_.end(),
                                 [&](const Extras& e) { return e.impl == signal.unsafeGetTensorImpl(); });
    TORCH_CHECK(it != pending_.end(), "pretrain: a batch the source did not hand out");
    Extras out = std::move(*it);
    pending_.erase(it);
    return out;
  }

 private:
  struct Built {
    torch::Tensor signal, text;
    uint64_t seed = 0;
  };
  void Launch() {
    if (next_ >= NumBatches()) return;
    ahead_ = std::async(std::launch::async, [this, index = next_++] { return Build(index); });
  }
  void Drain() {
    if (ahead_.valid()) ahead_.wait();
    ahead_ = {};
  }
  absl::StatusOr<Built> Build(int64_t index) {
    const auto begin = static_cast<size_t>(index * config_.batch_size);
    const size_t end = std::min(order_.size(), begin + static_cast<size_t>(config_.batch_size));
    const absl::Span<const int64_t> samples(order_.data() + begin, end - begin);
    ECGBENCH_ASSIGN_OR_RETURN(SegmentBatch batch, batcher_.Batch(samples, static_cast<int>(epoch_)));
    Built out;
    out.signal = std::move(batch.inputs);
    uint64_t seed = common::SplitMix64(config_.seed ^ kMaskStream);
    for (const int64_t part : {static_cast<int64_t>(config_.rank), epoch_, index}) {
      seed = common::SplitMix64(seed + static_cast<uint64_t>(part));
    }
    out.seed = seed;
    if (text_ != nullptr) {
      reports_.clear();
      for (const int64_t s : samples) {
        const int64_t segment = run_.train_segments[static_cast<size_t>(s)];
        ECGBENCH_ASSIGN_OR_RETURN(ecg::SegmentMeta meta, run_.store->Meta(segment));
        reports_.push_back(std::move(meta.report));
      }
      torch::NoGradGuard no_grad;
      ECGBENCH_ASSIGN_OR_RETURN(torch::Tensor text, text_->Embed(reports_));
      if (text.dim() != 2 || text.size(0) != static_cast<int64_t>(samples.size()) || text.size(1) != text_->dim()) {
        return absl::InternalError(absl::StrCat("pretrain merl: the text encoder returned [",
                                                absl::StrJoin(text.sizes(), ", "), "] for ", samples.size(),
                                                " reports, expected [", samples.size(), ", ", text_->dim(), "]"));
      }
      out.text = text.to(torch::kFloat).detach();
    }
    return out;
  }

  SegmentBatcher& batcher_;
  const RunData& run_;
  TextEmbedder* text_;
  Config config_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, next_ = 0;
  std::future<absl::StatusOr<Built>> ahead_;
  std::vector<std::string> reports_;  // the loader thread's
  std::vector<Extras> pending_;
};

// Losses per micro-batch, as (sum, rows): MAE losses are per-sample means over the masked patches,
// whose count is the same for every sample, so the row mean of a step is the upstream batch mean.
struct LossState {
  std::shared_ptr<nn::EcgEncoder> encoder;
  nn::MaskedAutoencoder* mae = nullptr;
  nn::MerlEncoder* merl = nullptr;
  PretrainSource* source = nullptr;
  train::Collective* collective = nullptr;
  absl::Status gather_error;
  double cma = 0, uma = 0;  // MERL: the last micro-batch's terms

  // The ranks' rows with this rank's own in its slot (gradients flow through it only).
  torch::Tensor Gather(const torch::Tensor& local) {
    if (collective == nullptr) return local;
    absl::StatusOr<torch::Tensor> all = collective->AllGather(local.contiguous());
    if (!all.ok()) {
      gather_error = all.status();
      TORCH_CHECK(false, "pretrain merl: all-gather: ", all.status().ToString());
    }
    return train::WithLocalSlice(*all, local, collective->rank());
  }

  nn::LossSum operator()(const torch::Tensor& signal) {
    const Extras extras = source->Take(signal);
    at::Generator generator = at::detail::createCPUGenerator(extras.seed);
    const int64_t rows = signal.size(0);
    if (mae != nullptr) return {mae->PretrainLoss(signal, generator) * static_cast<double>(rows), rows};
    const nn::MerlPretrainOutput out = merl->PretrainForward(signal, generator);
    const torch::Tensor text = merl->ProjectText(extras.text);
    const nn::MerlLoss loss = nn::ComputeMerlLoss(Gather(out.ecg), Gather(text), Gather(out.view1), Gather(out.view2));
    cma = loss.cma.item<double>();
    uma = loss.uma.item<double>();
    torch::Tensor sum = loss.total * static_cast<double>(rows);
    // Every rank's loss covers the global batch but differentiates through its own rows only, so
    // the ranks' gradients add up to the single-process one; the bucketer averages, so scale the
    // gradient (not the reported value) by the world size (docs/data-parallel.md).
    const int world = collective == nullptr ? 1 : collective->world_size();
    if (world > 1) sum = sum * static_cast<double>(world) - sum.detach() * static_cast<double>(world - 1);
    return {sum, rows};
  }
};

}  // namespace

absl::StatusOr<TaskResult> RunEncoderPretrain(TaskContext& ctx, const PretrainStageOptions& options) {
  const v1::Assignment& assignment = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(assignment));
  const json representation = run.params.value("representation", json::object());
  ECGBENCH_ASSIGN_OR_RETURN(const EncoderChoice enc, ParseEncoder(representation));
  const json train_json = run.params.value("train", json::object());
  ECGBENCH_ASSIGN_OR_RETURN(const common::TrainSpec spec, common::TrainSpecFromJson(train_json));
  double lr = 0;
  ECGBENCH_ASSIGN_OR_RETURN(const train::OptimizerOptions optimizer_options, PretrainOptimizer(spec.optimizer, &lr));
  const int rank = assignment.rank(), world = std::max(1, assignment.world_size());
  const bool merl = enc.name == "merl";
  const torch::Device device = RankDevice(assignment);

  // The artifact: everything that determines the encoder.
  json train_key = train_json;
  for (const char* unused : {"max_tokens", "min_ecg_tokens", "ablation", "precision", "checkpoint_every"}) {
    train_key.erase(unused);
  }
  train_key["optimizer"]["lr"] = lr;
  train_key["optimizer"]["weight_decay"] = optimizer_options.weight_decay;
  ecg::ContentHash key("encoder_pretrain");
  key.SetParameters({{"encoder", enc.name}, {"preset", enc.preset},
                     {"normalization", representation.value("normalization", json("minmax"))},
                     {"train", train_key}, {"test_fold", run.test_fold + 1}, {"world_size", world}, {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  common::repr::RepresentationArtifacts artifacts;
  const json in = json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (in.is_object() && in.contains("tokenizer") && in["tokenizer"].is_array() && !in["tokenizer"].empty() &&
      in["tokenizer"][0].is_object()) {
    artifacts.percentiles_path = in["tokenizer"][0].value("percentiles", std::string());
    if (!artifacts.percentiles_path.empty()) key.AddInput("percentiles", artifacts.percentiles_path);
  }
  if (merl) key.AddInput("text_encoder", enc.text_encoder);
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(const std::string artifact,
                            ecg::ArtifactDir(options.artifact_root, "encoder_pretrain", hash));
  const std::string encoder_file = artifact + "/encoder.safetensors";
  json doc = {{"kind", "ecg_encoder"}, {"encoder", encoder_file}, {"artifact", artifact}, {"key", hash},
              {"encoder_name", enc.name}, {"preset", enc.preset}};
  ECGBENCH_ASSIGN_OR_RETURN(const SharedArtifact shared,
                            AcquireSharedArtifact(ctx, artifact, [&artifact] { return ecg::IsArtifactComplete(artifact); }));
  if (shared.reuse) {
    ECGBENCH_ASSIGN_OR_RETURN(const std::string info_text, common::ReadFile(artifact + "/.complete"));
    ECGBENCH_ASSIGN_OR_RETURN(const json info, common::ParseJson(info_text, artifact + "/.complete"));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("pretrain: reusing the ", enc.name, " encoder ", encoder_file));
    doc.update({{"steps", info.value("steps", 0)}, {"final_loss", info.value("final_loss", 0.0)}, {"reused", true}});
    return TaskResult{{{"final_loss", info.value("final_loss", 0.0)}, {"reused", 1}}, doc.dump()};
  }

  // MERL: the frozen text encoder.
  std::unique_ptr<TextEmbedder> text;
  if (merl) {
    if (!options.text_encoder || enc.text_encoder.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pretrain merl: no text encoder to embed the reports with: ",
          enc.text_encoder.empty() ? "representation.encoder.text_encoder (a Hugging Face BERT folder such as "
                                     "ncbi/MedCPT-Query-Encoder) is not set"
                                   : "",
          enc.text_encoder.empty() && !options.text_encoder ? " and " : "",
          options.text_encoder ? "" : "this worker has no BERT text encoder",
          "; give representation.encoder.path (pretrained MERL weights) instead"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(text, options.text_encoder(enc.text_encoder, device.str()));
  }

  torch::manual_seed(spec.seed);
  if (spec.deterministic) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  nn::EcgEncoderOptions eo;
  eo.kind = enc.name;
  eo.preset = enc.preset;
  eo.segment_len = run.store->segment_length();
  eo.seed = static_cast<uint64_t>(spec.seed);
  if (text) eo.text_dim = text->dim();
  absl::StatusOr<std::shared_ptr<nn::EcgEncoder>> created = nn::CreateEcgEncoder(eo);
  if (!created.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("representation.encoder: ", created.status().message()));
  }
  LossState loss;
  loss.encoder = *std::move(created);
  loss.mae = dynamic_cast<nn::MaskedAutoencoder*>(loss.encoder.get());
  loss.merl = dynamic_cast<nn::MerlEncoder*>(loss.encoder.get());
  if (loss.mae == nullptr && loss.merl == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("representation.encoder.name: '", enc.name,
                                                   "' has no pretraining objective (st_mem, mtae, mlae or merl)"));
  }
  // MERL's BatchNorm statistics are buffers the trainer's checkpoints do not hold: snapshots of
  // the whole encoder at the checkpointed steps carry them across a resume.
  const std::string checkpoints = artifact + "/checkpoints", snapshots = artifact + "/encoder_snapshots";
  auto snapshot_path = [&](int64_t step) { return absl::StrCat(snapshots, "/step-", step, ".safetensors"); };
  if (const int64_t step = LatestCheckpointStep(checkpoints); merl && step > 0) {
    if (fs::exists(snapshot_path(step))) {
      ECGBENCH_RETURN_IF_ERROR(nn::LoadEcgEncoderWeights(*loss.encoder, snapshot_path(step)));
    } else {
      ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("pretrain: no encoder snapshot for step ", step,
                                                  "; BatchNorm statistics restart from their initial values"));
    }
  }
  loss.encoder->to(device);

  // Data.
  ECGBENCH_ASSIGN_OR_RETURN(common::repr::RepresentationOptions repr,
                            common::repr::ParseRepresentationOptions(representation, artifacts));
  repr.perturbation = common::repr::Perturbation::kNone;
  repr.seed = static_cast<uint64_t>(spec.seed);
  SegmentBatcherOptions batcher_options;
  batcher_options.num_threads = std::max(1, options.loader_threads);
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<SegmentBatcher> batcher,
                            SegmentBatcher::Create(run.store.get(), run.train_segments, repr, batcher_options));
  PretrainSource::Config config;
  config.batch_size = spec.batch_size;
  config.drop_partial = merl;
  config.rank = rank;
  config.world = world;
  config.seed = static_cast<uint64_t>(spec.seed);
  config.device = device;
  PretrainSource source(*batcher, run, text.get(), config);
  const int64_t batches = source.NumBatches();
  if (batches == 0) {
    return absl::FailedPreconditionError(absl::StrCat("pretrain: ", run.train_segments.size(),
                                                      " training segments make no batch of ", spec.batch_size,
                                                      " per rank on ", world, " rank(s)"));
  }
  loss.source = &source;
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("pretrain: ", enc.name, " (", enc.preset, ") on ", run.train_segments.size(),
                                           " training segments, ", batches, " batches of ", spec.batch_size,
                                           " per epoch and rank, ", world, " rank(s), ", device.str()));

  // Ranks, optimizer, schedule.
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& item : loss.encoder->named_parameters(/*recurse=*/true)) {
    if (item.value().requires_grad()) params.emplace_back(item.key(), item.value());
  }
  std::unique_ptr<train::TaskContextKv> kv;
  std::unique_ptr<train::Collective> collective;
  std::unique_ptr<train::GradientBucketer> bucketer;
  if (world > 1) {
    kv = std::make_unique<train::TaskContextKv>(ctx);
    ECGBENCH_ASSIGN_OR_RETURN(collective, JoinRankCollective(*kv, assignment, device, options.hostname));
    std::vector<torch::Tensor> tensors, state;
    for (const auto& [name, p] : params) tensors.push_back(p);
    for (const auto& b : loss.encoder->buffers(/*recurse=*/true)) {
      if (b.is_floating_point()) state.push_back(b);
    }
    state.insert(state.end(), tensors.begin(), tensors.end());
    ECGBENCH_RETURN_IF_ERROR(collective->Broadcast(state));
    ECGBENCH_ASSIGN_OR_RETURN(bucketer, train::GradientBucketer::Create(*collective, tensors));
    loss.collective = collective.get();
  }
  ECGBENCH_ASSIGN_OR_RETURN(train::Optimizer optimizer, train::Optimizer::Create(params, optimizer_options));
  const int64_t steps_per_epoch = (batches + spec.grad_accum - 1) / spec.grad_accum;
  const int64_t total_steps = spec.max_steps.value_or(steps_per_epoch * spec.epochs);
  train::ScheduleOptions schedule_options;
  ECGBENCH_ASSIGN_OR_RETURN(schedule_options.kind, train::ParseScheduleKind(spec.schedule.name));
  schedule_options.lr = lr;
  schedule_options.scale = world;  // upstream: effective batch / reference batch
  schedule_options.warmup = spec.schedule.warmup;
  schedule_options.total_steps = std::max<int64_t>(total_steps, 1);
  ECGBENCH_ASSIGN_OR_RETURN(const train::LrSchedule schedule, train::LrSchedule::Create(schedule_options));

  train::TrainerOptions trainer;
  trainer.grad_accum = spec.grad_accum;
  trainer.epochs = spec.epochs;
  trainer.max_steps = spec.max_steps;
  trainer.clip_grad_norm = spec.clip_grad_norm;
  trainer.checkpoint_root = checkpoints;
  trainer.checkpoint_every = spec.checkpoint_every;
  // No validation split: only early stopping on the training loss applies (upstream's rule).
  trainer.early_stopping = spec.early_stopping.enabled && spec.early_stopping.metric == "train_loss";
  trainer.early_stopping_metric = "train_loss";
  trainer.patience = spec.early_stopping.patience;
  trainer.delta = spec.early_stopping.delta;

  auto snapshot = [&](int64_t step) {  // rank 0, at the steps the trainer checkpoints
    if (!merl || rank != 0 || step <= 0) return;
    std::error_code ec;
    fs::create_directories(snapshots, ec);
    if (absl::Status s = nn::SaveEcgEncoder(*loss.encoder, snapshot_path(step)); !s.ok()) {
      ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("pretrain: encoder snapshot: ", s.message()));
      return;
    }
    // Keep this step's and the latest checkpoint's (the trainer writes this step's after the hook).
    const int64_t latest = LatestCheckpointStep(checkpoints);
    std::vector<fs::path> stale;
    for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
      const std::string file = entry.path().filename().string();
      absl::string_view name = file;
      int64_t other = 0;
      if (absl::ConsumePrefix(&name, "step-") && absl::ConsumeSuffix(&name, ".safetensors") &&
          absl::SimpleAtoi(name, &other) && other != step && other != latest) {
        stale.push_back(entry.path());
      }
    }
    for (const fs::path& path : stale) fs::remove(path, ec);
  };
  train::TrainerHooks<torch::Tensor> hooks;
  hooks.loss = [&loss](const torch::Tensor& signal) { return loss(signal); };
  hooks.count_tokens = [](const torch::Tensor& b) { return b.size(0); };
  hooks.count_rows = [](const torch::Tensor& b) { return b.size(0); };
  hooks.set_training = [&loss](bool on) { loss.encoder->train(on); };
  hooks.on_step = [&](const train::StepMetrics& m) {
    ctx.ReportMetric("pretrain/loss", m.loss, m.step);
    ctx.ReportMetric("pretrain/lr", m.lr, m.step);
    ctx.ReportMetric("pretrain/grad_norm", m.grad_norm, m.step);
    ctx.ReportMetric("pretrain/samples_per_s", m.step_seconds > 0 ? m.samples / m.step_seconds : 0, m.step);
    ctx.ReportMetric("pretrain/step_seconds", m.step_seconds, m.step);
    ctx.ReportMetric("pretrain/data_wait_seconds", m.data_wait_seconds, m.step);
    ctx.ReportMetric("pretrain/memory_bytes", static_cast<double>(common::ResidentMemoryBytes()), m.step);
    if (merl) {
      ctx.ReportMetric("pretrain/cma_loss", loss.cma, m.step);
      ctx.ReportMetric("pretrain/uma_loss", loss.uma, m.step);
    }
    ctx.ReportProgress(m.step, total_steps, "steps", absl::StrCat("loss ", m.loss));
    if ((trainer.checkpoint_every > 0 && m.step % trainer.checkpoint_every == 0) ||
        (trainer.max_steps && m.step == *trainer.max_steps)) {
      snapshot(m.step);
    }
  };
  hooks.on_checkpoint = [&ctx](int64_t step, double seconds) {
    ctx.ReportMetric("pretrain/checkpoint_seconds", seconds, step);
  };
  hooks.on_epoch = [&](int64_t epoch, double train_loss, std::optional<double>) {
    ctx.ReportMetric("pretrain/epoch_loss", train_loss, epoch);
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("pretrain: epoch ", epoch + 1, " loss ", train_loss));
    snapshot(optimizer.step());
  };
  hooks.should_stop = [&]() {
    if (ctx.cancelled()) return train::StopRequest::kCancel;
    if (ctx.preempt_requested()) {
      snapshot(optimizer.step());
      return train::StopRequest::kPreempt;
    }
    return train::StopRequest::kNone;
  };
  absl::StatusOr<train::TrainSummary> summary = absl::InternalError("pretrain: not run");
  try {
    summary =
        train::RunTraining(trainer, optimizer, schedule, source, nullptr, hooks, collective.get(), bucketer.get());
  } catch (const c10::Error&) {
    if (!loss.gather_error.ok()) return loss.gather_error;  // keep the collective's code
    throw;
  }
  if (absl::IsAborted(summary.status()) && summary.status().message() == kPreemptedMessage) return PreemptedStatus();
  if (!summary.ok()) return summary.status();

  const double final_loss = summary->step_losses.empty() ? 0.0 : summary->step_losses.back();
  if (rank == 0) {
    ECGBENCH_RETURN_IF_ERROR(nn::SaveEcgEncoder(*loss.encoder, encoder_file));
    ECGBENCH_RETURN_IF_ERROR(ecg::MarkArtifactComplete(
        artifact, {{"encoder", encoder_file}, {"steps", optimizer.step()}, {"final_loss", final_loss},
                   {"epochs", summary->epochs_completed}, {"segments", run.train_segments.size()}}));
    std::error_code ec;
    fs::remove_all(snapshots, ec);
  }
  doc.update({{"steps", optimizer.step()}, {"final_loss", final_loss}, {"epochs", summary->epochs_completed},
              {"stopped_early", summary->stopped_early}, {"resumed_from_step", summary->resumed_from_step},
              {"reused", false}});
  TaskResult result;
  result.results = {{"steps", static_cast<double>(summary->steps)}, {"final_loss", final_loss}, {"reused", 0}};
  result.result_json = doc.dump();
  return result;
}

}  // namespace ecgbench::worker
