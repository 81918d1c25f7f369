// The train stage (see train_runner.h): run data -> ELM -> loaders -> RunTraining -> export.
#include "worker/stages/train_runner.h"

#include <ATen/Context.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/spec/spec_json.h"
#include "common/util/resident_memory.h"
#include "common/util/status_macros.h"
#include "worker/data/elm_loader.h"
#include "worker/stages/elm_setup.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/rank_device.h"
#include "worker/stages/retrieval_context.h"
#include "worker/stages/shared_artifact.h"
#include "worker/stages/run_data.h"
#include "worker/train/collective/gloo_collective.h"
#include "worker/train/collective/shard_indices.h"
#include "worker/train/collective/task_context_kv.h"
#include "worker/train/export.h"
#include "worker/train/mfu.h"
#include "worker/train/trainer.h"
#include "spdlog/spdlog.h"

namespace ecgbench::worker {
namespace {

namespace fs = std::filesystem;
namespace ecg = common::ecg;

// ElmLoader as the trainer's BatchSource: this rank's shard of the split, reshuffled per epoch.
class LoaderSource final : public train::BatchSource<nn::ElmBatch> {
 public:
  LoaderSource(ElmLoader& loader, int rank, int world, uint64_t seed, bool shuffle, torch::Device device)
      : loader_(loader), rank_(rank), world_(world), device_(device) {
    shard_.seed = seed;
    shard_.shuffle = shuffle;
  }
  absl::Status StartEpoch(int64_t epoch, int64_t skip) override {
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<int64_t> order,
                              train::ShardIndices(loader_.split_size(), rank_, world_, epoch, shard_));
    return loader_.Start({epoch, skip}, std::move(order));
  }
  absl::StatusOr<std::optional<nn::ElmBatch>> Next() override {
    absl::StatusOr<ElmLoaderBatch> next = loader_.Next();
    if (absl::IsOutOfRange(next.status())) return std::optional<nn::ElmBatch>();
    if (!next.ok()) return next.status();
    tokens_ += next->tokens;
    nn::ElmBatch b = std::move(next->batch);
    if (!device_.is_cpu()) {
      b.input_ids = b.input_ids.to(device_, /*non_blocking=*/true);
      b.labels = b.labels.to(device_, /*non_blocking=*/true);
      b.attention_mask = b.attention_mask.to(device_, /*non_blocking=*/true);
      if (b.encoder_input.defined()) b.encoder_input = b.encoder_input.to(device_, /*non_blocking=*/true);
    }
    return std::optional<nn::ElmBatch>(std::move(b));
  }
  int64_t TakeTokens() { return std::exchange(tokens_, 0); }

 private:
  ElmLoader& loader_;
  int rank_, world_;
  torch::Device device_;
  train::ShardOptions shard_;
  int64_t tokens_ = 0;
};

absl::StatusOr<train::OptimizerOptions> OptimizerFromSpec(const common::OptimizerSpec& o) {
  train::OptimizerOptions out;
  ECGBENCH_ASSIGN_OR_RETURN(out.kind, train::ParseOptimizerKind(o.name));
  out.beta1 = o.beta1;
  out.beta2 = o.beta2;
  out.eps = o.eps;
  out.weight_decay = o.weight_decay;
  return out;
}

}  // namespace

absl::StatusOr<TaskResult> TrainRunner::Run(TaskContext& ctx) {
  const v1::Assignment& assignment = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(assignment));
  ECGBENCH_ASSIGN_OR_RETURN(const common::TrainSpec spec, common::TrainSpecFromJson(run.params.value("train", nlohmann::json::object())));
  ECGBENCH_ASSIGN_OR_RETURN(const common::ModelSpec model, common::ModelSpecFromJson(run.params.value("model", nlohmann::json::object())));
  const nlohmann::json representation = run.params.value("representation", nlohmann::json::object());
  const int rank = assignment.rank(), world = std::max(1, assignment.world_size());
  const uint64_t seed = static_cast<uint64_t>(spec.seed);

  // The artifact: everything that determines the trained model.
  ecg::ContentHash key("train");
  key.SetParameters({{"representation", representation}, {"model", run.params.value("model", nlohmann::json())},
                     {"train", run.params.value("train", nlohmann::json())}, {"test_fold", run.test_fold + 1},
                     {"world_size", world}, {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  const RunElmArtifacts elm_artifacts = FindRunElmArtifacts(assignment);
  elm_artifacts.AddTo(key);
  const common::repr::RepresentationArtifacts& artifacts = elm_artifacts.representation;
  const std::string& pretrained_encoder = elm_artifacts.pretrained_encoder;
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(const std::string artifact, ecg::ArtifactDir(options_.artifact_root, "train", hash));
  const std::string export_dir = artifact + "/export";
  ECGBENCH_ASSIGN_OR_RETURN(const SharedArtifact shared, AcquireSharedArtifact(ctx, artifact, [&export_dir] {
                              return fs::exists(fs::path(export_dir) / "elm_config.json");
                            }));
  if (shared.reuse) {
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("train: reusing the finished artifact ", artifact));
    return TaskResult{{}, nlohmann::json({{"artifact", artifact}, {"export", export_dir}, {"reused", true}}).dump()};
  }

  torch::manual_seed(static_cast<int64_t>(seed));
  if (spec.deterministic) {
    // cuBLAS needs a fixed workspace for reproducible GEMMs; set before the first CUDA call.
    ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  }
  const torch::Device device = RankDevice(assignment);
  const bool cuda = device.is_cuda();

  ElmSetupInputs in = MakeElmSetupInputs(run, model, elm_artifacts);
  in.max_tokens = spec.max_tokens;
  in.min_ecg_tokens = spec.min_ecg_tokens;
  in.seed = seed;
  ECGBENCH_ASSIGN_OR_RETURN(ElmSetup setup, SetUpElm(in));
  // The training condition (train.ablation; the plan gives each condition its own run): the real
  // ECG, the representation of a zero segment, or text only.
  const std::string condition = spec.ablation.empty() ? "signal" : spec.ablation.front();
  if (condition == "zeros") setup.representation.perturbation = common::repr::Perturbation::kBlackout;
  if (condition == "none") {
    setup.representation.perturbation = common::repr::Perturbation::kNoSignal;
    setup.examples.slot = EcgSlot::kNone;
  }
  if (cuda) setup.elm->To(device, spec.precision == "bf16" ? torch::kBFloat16 : torch::kFloat);

  // Data: examples, splits, loaders.
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<RetrievalContext> retrieval,
                            RetrievalContext::FromAssignment(assignment, run.store.get()));
  if (retrieval) setup.examples.context_in_user_query = retrieval->in_user_query();
  ECGBENCH_ASSIGN_OR_RETURN(const ElmExampleBuilder builder,
                            ElmExampleBuilder::Create(setup.tokenizer.get(), setup.chat_template, setup.examples));
  const ElmDataSource source = ElmDataSourceOf(run);
  ElmDatasetOptions dataset_options;
  dataset_options.policy = BadSamplePolicy::kSkip;
  if (retrieval) {
    dataset_options.context = [&retrieval](const ElmConversation& c) { return retrieval->Text(c.segment); };
  }
  dataset_options.num_threads = options_.loader_threads;
  ECGBENCH_ASSIGN_OR_RETURN(const ElmDataset dataset, LoadElmDataset(source, builder, dataset_options));
  ctx.Log(v1::LOG_LEVEL_INFO,
          absl::StrCat("train: ", dataset.counts.train.kept, " training and ", dataset.counts.validation.kept,
                       " validation conversations; dropped (too long / no answer) ",
                       dataset.counts.train.too_long + dataset.counts.validation.too_long, " / ",
                       dataset.counts.train.no_answer + dataset.counts.validation.no_answer, "; bad records ",
                       dataset.counts.bad_records));
  if (dataset.train.empty()) return absl::FailedPreconditionError("train: no training conversation fits the budget");
  ElmLoaderOptions loader_options;
  loader_options.batch_size = spec.batch_size;
  loader_options.num_threads = options_.loader_threads;
  loader_options.policy = BadSamplePolicy::kSkip;
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<ElmLoader> train_loader,
                            ElmLoader::Create(&dataset, dataset.train, run.store.get(), &builder, setup.representation,
                                              loader_options));
  std::unique_ptr<ElmLoader> val_loader;
  if (!dataset.validation.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(val_loader, ElmLoader::Create(&dataset, dataset.validation, run.store.get(), &builder,
                                                            setup.representation, loader_options));
  }
  LoaderSource train_source(*train_loader, rank, world, seed, /*shuffle=*/true, device);
  std::optional<LoaderSource> val_source;
  if (val_loader) val_source.emplace(*val_loader, rank, world, seed, /*shuffle=*/false, device);

  // Ranks, optimizer, schedule.
  std::unique_ptr<train::TaskContextKv> kv;
  std::unique_ptr<train::Collective> collective;
  std::vector<std::pair<std::string, torch::Tensor>> params = TrainableParameters(setup);
  std::unique_ptr<train::GradientBucketer> bucketer;
  if (world > 1) {
    kv = std::make_unique<train::TaskContextKv>(ctx);
    ECGBENCH_ASSIGN_OR_RETURN(collective, JoinRankCollective(*kv, assignment, device, options_.hostname));
    std::vector<torch::Tensor> tensors;
    for (const auto& [name, p] : params) tensors.push_back(p);
    ECGBENCH_RETURN_IF_ERROR(collective->Broadcast(tensors));
    ECGBENCH_ASSIGN_OR_RETURN(bucketer, train::GradientBucketer::Create(*collective, tensors));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const train::OptimizerOptions optimizer_options, OptimizerFromSpec(spec.optimizer));
  ECGBENCH_ASSIGN_OR_RETURN(train::Optimizer optimizer, train::Optimizer::Create(params, optimizer_options));
  if (spec.optimizer.projection_lr > 0) {
    const int scaled = optimizer.ScaleLearningRate("projection.", spec.optimizer.projection_lr / spec.optimizer.lr);
    spdlog::info("train: projection learning rate {} ({} parameters; the rest {})", spec.optimizer.projection_lr,
                 scaled, spec.optimizer.lr);
  }
  if (setup.added.frozen) {
    for (const torch::Tensor& w : setup.added.weights) {
      if (w.requires_grad()) optimizer.FreezeRows({w, setup.added.first_row, setup.added.count});
    }
  }
  const int64_t batches = train_loader->NumBatches(train::ShardSize(static_cast<int64_t>(dataset.train.size()), world, false));
  const int64_t steps_per_epoch = (batches + spec.grad_accum - 1) / spec.grad_accum;
  const int64_t total_steps = spec.max_steps.value_or(steps_per_epoch * spec.epochs);
  train::ScheduleOptions schedule_options;
  ECGBENCH_ASSIGN_OR_RETURN(schedule_options.kind, train::ParseScheduleKind(spec.schedule.name));
  schedule_options.lr = spec.optimizer.lr;
  schedule_options.scale = world;  // upstream: effective batch / reference batch
  schedule_options.warmup = spec.schedule.warmup;
  schedule_options.total_steps = std::max<int64_t>(total_steps, 1);
  ECGBENCH_ASSIGN_OR_RETURN(const train::LrSchedule schedule, train::LrSchedule::Create(schedule_options));

  train::TrainerOptions trainer;
  trainer.grad_accum = spec.grad_accum;
  trainer.epochs = spec.epochs;
  trainer.max_steps = spec.max_steps;
  trainer.clip_grad_norm = spec.clip_grad_norm;
  trainer.checkpoint_root = artifact + "/checkpoints";
  trainer.checkpoint_every = spec.checkpoint_every;
  trainer.early_stopping = spec.early_stopping.enabled && (val_source || spec.early_stopping.metric == "train_loss");
  trainer.early_stopping_metric = spec.early_stopping.metric;
  trainer.patience = spec.early_stopping.patience;
  trainer.delta = spec.early_stopping.delta;

  nn::Elm& elm = *setup.elm;
  train::TrainerHooks<nn::ElmBatch> hooks;
  hooks.loss = [&elm](const nn::ElmBatch& b) { return elm.Loss(b); };
  hooks.count_tokens = [](const nn::ElmBatch& b) { return nn::Elm::CountLabeledTokens(b.labels); };
  hooks.count_rows = [](const nn::ElmBatch& b) { return b.input_ids.size(0); };
  hooks.set_training = [&elm](bool on) { elm.Train(on); };
  // MFU: the LLM's parameters (what the step multiplies through), its depth and width, the budget.
  int64_t llm_params = 0;
  for (const torch::Tensor& p : elm.llm().module().parameters()) llm_params += p.numel();
  const common::model_io::ModelConfig& llm_config = elm.llm().config();
  const double flops_per_token =
      train::ModelFlopsPerToken(llm_params, llm_config.num_hidden_layers, llm_config.hidden_size, spec.max_tokens);
  const std::optional<double> peak_flops = train::PeakFlopsFromEnv();
  hooks.on_step = [&](const train::StepMetrics& m) {
    const double tokens = static_cast<double>(train_source.TakeTokens()) * world;
    const double tokens_per_s = m.step_seconds > 0 ? tokens / m.step_seconds : 0;
    ctx.ReportMetric("train/model_tflops", flops_per_token * tokens_per_s / world / 1e12, m.step);  // per rank
    if (peak_flops) ctx.ReportMetric("train/mfu", train::Mfu(flops_per_token, tokens_per_s, world, *peak_flops), m.step);
    ctx.ReportMetric("train/loss", m.loss, m.step);
    ctx.ReportMetric("train/lr", m.lr, m.step);
    ctx.ReportMetric("train/grad_norm", m.grad_norm, m.step);
    ctx.ReportMetric("train/tokens_per_s", m.step_seconds > 0 ? tokens / m.step_seconds : 0, m.step);
    ctx.ReportMetric("train/tokens", tokens, m.step);
    ctx.ReportMetric("train/samples_per_s", m.step_seconds > 0 ? m.samples / m.step_seconds : 0, m.step);
    ctx.ReportMetric("train/step_seconds", m.step_seconds, m.step);
    ctx.ReportMetric("train/data_wait_seconds", m.data_wait_seconds, m.step);
    ctx.ReportMetric("train/memory_bytes", static_cast<double>(common::ResidentMemoryBytes()), m.step);
    ctx.ReportProgress(m.step, total_steps, "steps", absl::StrCat("loss ", m.loss));
  };
  hooks.on_checkpoint = [&ctx](int64_t step, double seconds) {
    ctx.ReportMetric("train/checkpoint_seconds", seconds, step);
  };
  hooks.on_epoch = [&](int64_t epoch, double train_loss, std::optional<double> val_loss) {
    ctx.ReportMetric("train/epoch_loss", train_loss, epoch);
    if (val_loss) ctx.ReportMetric("train/val_loss", *val_loss, epoch);
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("train: epoch ", epoch + 1, " loss ", train_loss,
                                             val_loss ? absl::StrCat(", validation ", *val_loss) : std::string()));
  };
  hooks.should_stop = [&ctx]() {
    if (ctx.cancelled()) return train::StopRequest::kCancel;
    if (ctx.preempt_requested()) return train::StopRequest::kPreempt;
    return train::StopRequest::kNone;
  };
  absl::StatusOr<train::TrainSummary> summary =
      train::RunTraining(trainer, optimizer, schedule, train_source, val_source ? &*val_source : nullptr, hooks,
                         collective.get(), bucketer.get());
  if (absl::IsAborted(summary.status()) && summary.status().message() == "preempted") return PreemptedStatus();
  if (!summary.ok()) return summary.status();
  if (summary->resumed) {
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("train: resumed from the checkpoint of step ", summary->resumed_from_step,
                                             " (", trainer.checkpoint_root, ")"));
  }
  for (const std::string& why : summary->skipped_checkpoints) {
    ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("checkpoint passed over on resume: ", why));
  }

  TaskResult result;
  result.results["steps"] = static_cast<double>(summary->steps);
  if (!summary->step_losses.empty()) result.results["final_loss"] = summary->step_losses.back();
  if (!summary->val_losses.empty()) result.results["best_val_loss"] = summary->best_val_loss;
  nlohmann::json doc = {{"artifact", artifact}, {"elm_kind", setup.elm_kind}, {"steps", summary->steps},
                        {"epochs", summary->epochs_completed}, {"stopped_early", summary->stopped_early},
                        {"resumed_from_step", summary->resumed_from_step},
                        {"skipped_checkpoints", summary->skipped_checkpoints}, {"reused", false},
                        {"condition", condition},
                        {"train_examples", dataset.counts.train.kept}, {"validation_examples", dataset.counts.validation.kept}};
  if (rank == 0) {
    train::ExportRequest request;
    request.out_dir = export_dir;
    request.overwrite = true;
    request.base_model_dir = model.llm.path;
    request.representation = representation;
    for (int64_t id = setup.added.first_row; id < setup.added.first_row + setup.added.count; ++id) {
      if (const auto token = setup.tokenizer->IdToToken(static_cast<int32_t>(id))) {
        request.added_tokens.push_back({*token, id, *token == "<signal>"});
      }
    }
    if (setup.elm->encoder() != nullptr) {
      request.encoder.kind = representation.value("encoder", nlohmann::json::object()).value("name", std::string());
      const nlohmann::json path =
          representation.value("encoder", nlohmann::json::object()).value("path", nlohmann::json());
      const bool given = path.is_string() && !path.get<std::string>().empty();
      request.encoder.path = given ? path.get<std::string>() : pretrained_encoder;  // null: the pretrained one
    }
    if (!artifacts.tokenizer_path.empty()) request.extra_files.push_back({"ecg_byte_tokenizer.json", artifacts.tokenizer_path});
    // Percentile normalisation needs the dataset's percentiles to rebuild the inputs (chat, eval).
    if (!artifacts.percentiles_path.empty()) request.extra_files.push_back({"percentiles.json", artifacts.percentiles_path});
    request.card.representation = representation.value("kind", std::string());
    const nlohmann::json data = run.params.value("data", nlohmann::json::object());
    request.card.datasets.push_back(data.value("base", std::string()));
    if (data.contains("mapped") && data["mapped"].is_array()) {
      for (const nlohmann::json& m : data["mapped"]) {
        if (m.is_string()) request.card.datasets.push_back(m.get<std::string>());
      }
    }
    request.card.fold = absl::StrCat("fold ", run.test_fold + 1, " held out (seed ", run.fold_seed, ")");
    request.card.spec_text = run.params.dump(2);  // the sections this stage ran with
    request.card.spec_language = "json";
    request.card.training.steps = optimizer.step();
    request.card.training.epochs = summary->epochs_completed;
    if (!summary->train_losses.empty()) request.card.training.final_train_loss = summary->train_losses.back();
    if (!summary->val_losses.empty()) request.card.training.best_val_loss = summary->best_val_loss;
    if (summary->stopped_early) request.card.training.stopped_because = "early stopping";
    ECGBENCH_ASSIGN_OR_RETURN(const train::ExportResult exported,
                              train::ExportElm(*setup.elm, setup.adapter ? &setup.adapter : nullptr, request));
    doc["export"] = exported.dir;
  }
  result.result_json = doc.dump();
  return result;
}

}  // namespace ecgbench::worker
