// The training loop (see trainer.h).
#include "worker/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/train/checkpoint.h"

namespace ecgbench::worker::train {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

absl::Status CheckOptions(const TrainerOptions& o) {
  if (o.grad_accum < 1) return absl::InvalidArgumentError(absl::StrCat("train: grad_accum must be >= 1, got ", o.grad_accum));
  if (o.epochs < 1) return absl::InvalidArgumentError(absl::StrCat("train: epochs must be >= 1, got ", o.epochs));
  if (o.max_steps && *o.max_steps < 1) {
    return absl::InvalidArgumentError(absl::StrCat("train: max_steps must be >= 1, got ", *o.max_steps));
  }
  if (o.checkpoint_every < 0) {
    return absl::InvalidArgumentError(absl::StrCat("train: checkpoint_every must be >= 0, got ", o.checkpoint_every));
  }
  if (o.early_stopping_metric != "val_loss" && o.early_stopping_metric != "train_loss") {
    return absl::InvalidArgumentError(absl::StrCat("train: early_stopping.metric must be val_loss or train_loss, got '",
                                                   o.early_stopping_metric, "'"));
  }
  if (o.patience < 1) return absl::InvalidArgumentError(absl::StrCat("train: patience must be >= 1, got ", o.patience));
  return absl::OkStatus();
}

// Sums `values` over the ranks (identity without a collective).
absl::StatusOr<std::vector<double>> SumOverRanks(Collective* collective, std::vector<double> values) {
  if (collective == nullptr) return values;
  return collective->ReduceScalars(values, ReduceOp::kSum);
}

// Where a run stands, as stored in checkpoints.
struct Position {
  int64_t epoch = 0;
  int64_t consumed = 0;  // micro-batches of `epoch` already trained on
  double epoch_sum = 0;  // the epoch's loss sum and tokens so far (its training loss on resume)
  int64_t epoch_tokens = 0;
  std::vector<double> train_losses, val_losses;
  int64_t since_best = 0;
  double best = std::numeric_limits<double>::infinity();
};

nlohmann::json PositionJson(const Position& p) {
  return {{"epoch", p.epoch}, {"consumed", p.consumed}, {"epoch_sum", p.epoch_sum}, {"epoch_tokens", p.epoch_tokens},
          {"train_losses", p.train_losses},
          {"val_losses", p.val_losses}, {"since_best", p.since_best},
          {"best", std::isfinite(p.best) ? nlohmann::json(p.best) : nlohmann::json(nullptr)}};
}

absl::StatusOr<Position> PositionFromJson(const nlohmann::json& j, const std::string& where) {
  try {
    Position p;
    p.epoch = j.at("epoch").get<int64_t>();
    p.consumed = j.at("consumed").get<int64_t>();
    p.epoch_sum = j.at("epoch_sum").get<double>();
    p.epoch_tokens = j.at("epoch_tokens").get<int64_t>();
    p.train_losses = j.at("train_losses").get<std::vector<double>>();
    p.val_losses = j.at("val_losses").get<std::vector<double>>();
    p.since_best = j.at("since_best").get<int64_t>();
    if (!j.at("best").is_null()) p.best = j.at("best").get<double>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(where, ": checkpoint state: ", e.what()));
  }
}

absl::Status RestoreWeights(Optimizer& optimizer, const CheckpointContents& c, const std::string& root) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, param] : optimizer.parameters()) {
    const auto it = c.weights.find(name);
    if (it == c.weights.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(root, ": the checkpoint has no weight '", name, "' (was it written by a different model?)"));
    }
    if (it->second.sizes() != param.sizes()) {
      return absl::FailedPreconditionError(absl::StrCat(root, ": weight '", name, "' is [",
                                                        absl::StrJoin(it->second.sizes(), ", "), "] in the checkpoint, [",
                                                        absl::StrJoin(param.sizes(), ", "), "] in the model"));
    }
    param.copy_(it->second);
  }
  if (c.weights.size() != optimizer.parameters().size()) {
    return absl::FailedPreconditionError(absl::StrCat(root, ": the checkpoint holds ", c.weights.size(),
                                                      " weights, the model trains ", optimizer.parameters().size()));
  }
  return optimizer.RestoreState(c.optimizer, c.step);
}

template <typename Batch>
absl::StatusOr<double> Validate(BatchSource<Batch>& source, const TrainerHooks<Batch>& hooks, Collective* collective) {
  torch::NoGradGuard no_grad;
  hooks.set_training(false);
  ECGBENCH_RETURN_IF_ERROR(source.StartEpoch(0, 0));
  double sum = 0;
  int64_t tokens = 0;
  while (true) {
    ECGBENCH_ASSIGN_OR_RETURN(std::optional<Batch> batch, source.Next());
    if (!batch) break;
    if (hooks.count_rows(*batch) == 0) continue;  // every row skipped as bad
    const nn::LossSum loss = hooks.loss(*batch);
    sum += loss.sum.item<double>();
    tokens += loss.tokens;
  }
  hooks.set_training(true);
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<double> total, SumOverRanks(collective, {sum, static_cast<double>(tokens)}));
  if (total[1] <= 0) return absl::FailedPreconditionError("train: the validation split has no labeled tokens");
  return total[0] / total[1];
}

}  // namespace

template <typename Batch>
absl::StatusOr<TrainSummary> RunTraining(const TrainerOptions& options, Optimizer& optimizer,
                                         const LrSchedule& schedule, BatchSource<Batch>& train,
                                         typename NonDeduced<BatchSource<Batch>*>::type validation,
                                         const typename NonDeduced<TrainerHooks<Batch>>::type& hooks,
                                         Collective* collective, GradientBucketer* bucketer) {
  ECGBENCH_RETURN_IF_ERROR(CheckOptions(options));
  if (options.early_stopping && options.early_stopping_metric == "val_loss" && validation == nullptr) {
    return absl::InvalidArgumentError("train: early stopping on val_loss needs a validation split");
  }
  const bool writer = collective == nullptr || collective->rank() == 0;
  const int world = collective == nullptr ? 1 : collective->world_size();
  TrainSummary summary;
  Position pos;

  if (!options.checkpoint_root.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(std::optional<CheckpointContents> latest, ReadLatestCheckpoint(options.checkpoint_root));
    if (latest) {
      ECGBENCH_RETURN_IF_ERROR(RestoreWeights(optimizer, *latest, options.checkpoint_root));
      if (const auto rng = latest->rng.find("cpu"); rng != latest->rng.end()) RestoreCpuRngState(rng->second);
      ECGBENCH_ASSIGN_OR_RETURN(pos, PositionFromJson(latest->state, options.checkpoint_root));
      summary.resumed = true;
      summary.resumed_from_step = latest->step;
      summary.skipped_checkpoints = latest->skipped;
      for (const std::string& why : latest->skipped) spdlog::warn("resuming from step {}; passed over: {}", latest->step, why);
    }
  }
  const auto save = [&]() -> absl::Status {
    if (options.checkpoint_root.empty() || !writer) return absl::OkStatus();
    CheckpointContents c;
    c.step = optimizer.step();
    for (const auto& [name, p] : optimizer.parameters()) c.weights[name] = p;
    c.optimizer = optimizer.StateTensors();
    c.rng["cpu"] = CpuRngState();
    c.state = PositionJson(pos);
    const auto started = std::chrono::steady_clock::now();
    ECGBENCH_ASSIGN_OR_RETURN(summary.last_checkpoint,
                              WriteCheckpoint(options.checkpoint_root, c, options.checkpoint_keep));
    if (hooks.on_checkpoint) {
      hooks.on_checkpoint(c.step, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return absl::OkStatus();
  };

  hooks.set_training(true);
  bool stop_all = false;
  for (; pos.epoch < options.epochs && !stop_all; ++pos.epoch) {
    ECGBENCH_RETURN_IF_ERROR(train.StartEpoch(pos.epoch, pos.consumed));
    bool epoch_done = false;
    while (!epoch_done) {
      const StopRequest stop = hooks.should_stop ? hooks.should_stop() : StopRequest::kNone;
      if (stop == StopRequest::kCancel) return absl::CancelledError("train: cancelled");
      if (stop == StopRequest::kPreempt) {
        ECGBENCH_RETURN_IF_ERROR(save());
        return absl::AbortedError("preempted");
      }
      if (options.max_steps && optimizer.step() >= *options.max_steps) {
        stop_all = true;
        break;
      }
      const Clock::time_point start = Clock::now();
      std::vector<Batch> micro;
      micro.reserve(static_cast<size_t>(options.grad_accum));
      for (int i = 0; i < options.grad_accum; ++i) {
        ECGBENCH_ASSIGN_OR_RETURN(std::optional<Batch> next, train.Next());
        if (!next) {
          epoch_done = true;
          break;
        }
        micro.push_back(*std::move(next));
      }
      const double wait = Seconds(start);
      int64_t tokens = 0, rows = 0;
      for (const Batch& b : micro) {
        tokens += hooks.count_tokens(b);
        rows += hooks.count_rows(b);
      }
      ECGBENCH_ASSIGN_OR_RETURN(
          const std::vector<double> counts,
          SumOverRanks(collective, {static_cast<double>(micro.size()), static_cast<double>(tokens), static_cast<double>(rows)}));
      if (counts[0] != static_cast<double>(micro.size()) * world) {
        return absl::FailedPreconditionError(absl::StrCat("train: ranks disagree on the number of micro-batches in step ",
                                                          optimizer.step() + 1, " (shards of unequal size?)"));
      }
      if (micro.empty()) break;
      const double global_tokens = counts[1];
      if (global_tokens <= 0) {  // nothing to learn from (all samples' answers truncated away)
        pos.consumed += static_cast<int64_t>(micro.size());
        continue;
      }
      double local_sum = 0;
      for (size_t i = 0; i < micro.size(); ++i) {
        if (bucketer != nullptr) bucketer->set_sync(i + 1 == micro.size());
        // A micro-batch whose rows were all skipped (bad samples) has nothing to run; the bucketer
        // still syncs at Finish (parameters without a fresh gradient contribute what they hold).
        if (hooks.count_rows(micro[i]) == 0) continue;
        const nn::LossSum loss = hooks.loss(micro[i]);
        // The bucketer averages over ranks: scale by world so the result is sum / global tokens.
        (loss.sum * (static_cast<double>(world) / global_tokens)).backward();
        local_sum += loss.sum.item<double>();
      }
      if (bucketer != nullptr) ECGBENCH_RETURN_IF_ERROR(bucketer->Finish());
      ECGBENCH_ASSIGN_OR_RETURN(const std::vector<double> loss_sum, SumOverRanks(collective, {local_sum}));
      StepMetrics m;
      m.grad_norm = optimizer.ClipGradNorm(options.clip_grad_norm);
      m.lr = schedule.LearningRate(optimizer.step() + 1);
      optimizer.Step(m.lr);
      optimizer.ZeroGrad();
      pos.consumed += static_cast<int64_t>(micro.size());
      m.step = optimizer.step();
      m.epoch = pos.epoch;
      m.loss = loss_sum[0] / global_tokens;
      m.tokens = static_cast<int64_t>(global_tokens);
      m.samples = static_cast<int64_t>(counts[2]);
      m.data_wait_seconds = wait;
      m.step_seconds = Seconds(start);
      summary.step_losses.push_back(m.loss);
      ++summary.steps;
      pos.epoch_sum += loss_sum[0];
      pos.epoch_tokens += m.tokens;
      if (hooks.on_step) hooks.on_step(m);
      if (options.checkpoint_every > 0 && m.step % options.checkpoint_every == 0) ECGBENCH_RETURN_IF_ERROR(save());
    }
    if (!epoch_done && stop_all) {  // max_steps inside the epoch: keep the position for a resume
      ECGBENCH_RETURN_IF_ERROR(save());
      break;
    }
    const double train_loss = pos.epoch_tokens > 0 ? pos.epoch_sum / static_cast<double>(pos.epoch_tokens) : 0.0;
    pos.train_losses.push_back(train_loss);
    std::optional<double> val_loss;
    if (validation != nullptr) {
      ECGBENCH_ASSIGN_OR_RETURN(val_loss, Validate(*validation, hooks, collective));
      pos.val_losses.push_back(*val_loss);
    }
    if (hooks.on_epoch) hooks.on_epoch(pos.epoch, train_loss, val_loss);
    ++summary.epochs_completed;
    const double watched = options.early_stopping_metric == "val_loss" && val_loss ? *val_loss : train_loss;
    if (watched < pos.best - options.delta) {
      pos.best = watched;
      pos.since_best = 0;
    } else {
      ++pos.since_best;
    }
    const bool stop_early = options.early_stopping && pos.since_best >= options.patience;
    pos.consumed = 0;
    pos.epoch_sum = 0;
    pos.epoch_tokens = 0;
    ++pos.epoch;  // the checkpoint records the next epoch to run
    ECGBENCH_RETURN_IF_ERROR(save());
    --pos.epoch;
    if (stop_early) {
      summary.stopped_early = true;
      break;
    }
  }
  summary.train_losses = pos.train_losses;
  summary.val_losses = pos.val_losses;
  if (!pos.val_losses.empty()) summary.best_val_loss = *std::min_element(pos.val_losses.begin(), pos.val_losses.end());
  return summary;
}

template absl::StatusOr<TrainSummary> RunTraining<nn::ElmBatch>(const TrainerOptions&, Optimizer&, const LrSchedule&,
                                                                BatchSource<nn::ElmBatch>&, BatchSource<nn::ElmBatch>*,
                                                                const TrainerHooks<nn::ElmBatch>&, Collective*,
                                                                GradientBucketer*);
template absl::StatusOr<TrainSummary> RunTraining<torch::Tensor>(const TrainerOptions&, Optimizer&, const LrSchedule&,
                                                                 BatchSource<torch::Tensor>&, BatchSource<torch::Tensor>*,
                                                                 const TrainerHooks<torch::Tensor>&, Collective*,
                                                                 GradientBucketer*);

}  // namespace ecgbench::worker::train
