// The train section: optimizer, learning-rate schedule, batch geometry, checkpoints, early stop.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/spec/spec_parser.h"

namespace ecgbench::common {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

void ParseBetas(SectionReader& r, OptimizerSpec* out) {
  const SpecNode* node = r.Get("betas");
  if (node == nullptr) return;
  const std::string path = EffectivePath(*node, r.PathOf("betas"));
  const NumberRange range{0, false, 1, true};
  if (!node->IsList() || node->items.size() != 2) {
    r.diag()->Error(
        path, node->line,
        absl::StrCat("expected a list of 2 numbers in [0, 1), got ", DescribeNode(*node)));
    return;
  }
  ReadNumber(node->items[0], absl::StrCat(path, "[0]"), range, &out->beta1, r.diag());
  ReadNumber(node->items[1], absl::StrCat(path, "[1]"), range, &out->beta2, r.diag());
}

void ParseOptimizer(SectionReader& r, OptimizerSpec* out) {
  const SpecNode* node = r.Get("optimizer");
  const NumberRange positive{0, true};
  if (node != nullptr) {
    SectionReader opt(*node, r.PathOf("optimizer"), r.KeyLine("optimizer"), r.diag());
    opt.Enum("name", {"adam", "adamw"}, &out->name);
    opt.Number("lr", positive, &out->lr);
    opt.Number("projection_lr", positive, &out->projection_lr);
    ParseBetas(opt, out);
    opt.Number("eps", positive, &out->eps);
    opt.Number("weight_decay", NumberRange{0, false}, &out->weight_decay);
    opt.Finish();
  }
  // `train.lr` is shorthand for `train.optimizer.lr`.
  if (r.Get("lr") == nullptr) return;
  const SpecEntry* nested = node == nullptr ? nullptr : FindEntry(*node, "lr");
  if (nested != nullptr) {
    r.diag()->Error(r.PathOf("lr"), r.KeyLine("lr"),
                    absl::StrCat("given twice: also as train.optimizer.lr on line ",
                                 nested->key_line, "; keep one"));
    return;
  }
  r.Number("lr", positive, &out->lr);
}

void ParseSchedule(SectionReader& r, ScheduleSpec* out) {
  const SpecNode* node = r.Get("schedule");
  if (node == nullptr) return;
  SectionReader schedule(*node, r.PathOf("schedule"), r.KeyLine("schedule"), r.diag());
  schedule.Enum("name", {"noam", "cosine", "constant"}, &out->name);
  schedule.Int64("warmup", IntRange{0, 1000000000}, &out->warmup);
  schedule.Finish();
}

void ParseEarlyStopping(SectionReader& r, EarlyStoppingSpec* out) {
  const SpecNode* node = ReadToggleOrMapping(r, "early_stopping", &out->enabled);
  if (node == nullptr) return;
  SectionReader early(*node, r.PathOf("early_stopping"), r.KeyLine("early_stopping"), r.diag());
  early.Enum("metric", {"val_loss", "train_loss"}, &out->metric);
  early.Int("patience", IntRange{1, 1000000}, &out->patience);
  early.Number("delta", NumberRange{0, false}, &out->delta);
  early.Finish();
}

}  // namespace

void ParseTrain(SectionReader& r, TrainSpec* out) {
  ParseOptimizer(r, &out->optimizer);
  ParseSchedule(r, &out->schedule);
  r.Int("batch_size", IntRange{1, 65536}, &out->batch_size);
  r.Int("grad_accum", IntRange{1, 65536}, &out->grad_accum);
  r.Int("epochs", IntRange{1, 100000}, &out->epochs);
  if (r.Get("max_steps") != nullptr) {
    int64_t steps = 0;
    if (ReadInt(*r.Get("max_steps"), r.PathOf("max_steps"), IntRange{1, kInt64Max}, &steps,
                r.diag())) {
      out->max_steps = steps;
    }
  }
  r.Int("max_tokens", IntRange{16, 1 << 20}, &out->max_tokens);
  if (const SpecNode* node = r.Get("min_ecg_tokens"); node != nullptr) {
    int64_t value = 0;
    const std::string path = r.PathOf("min_ecg_tokens");
    if (ReadInt(*node, path, IntRange{0, 1 << 20}, &value, r.diag())) {
      out->min_ecg_tokens = static_cast<int>(value);
      if (value > out->max_tokens) {
        r.diag()->Error(
            EffectivePath(*node, path), node->line,
            absl::StrCat("expected at most train.max_tokens (", out->max_tokens, "), got ", value));
      }
    }
  } else {
    out->min_ecg_tokens = std::min(out->min_ecg_tokens, out->max_tokens);
  }
  r.Number("clip_grad_norm", NumberRange{0, false}, &out->clip_grad_norm);
  r.Enum("precision", {"fp32", "bf16"}, &out->precision);
  r.Int64("checkpoint_every", IntRange{0, kInt64Max}, &out->checkpoint_every);
  ParseEarlyStopping(r, &out->early_stopping);
  r.Bool("deterministic", &out->deterministic);
  r.Int64("seed", IntRange{0, kInt64Max}, &out->seed);
  r.EnumList("ablation", {"signal", "zeros", "none"}, &out->ablation);
  r.Finish();
}

}  // namespace ecgbench::common
