// ExperimentSpec -> JSON, one function per section.
#include "common/spec/spec_json.h"

namespace ecgbench::common {
namespace {

nlohmann::json OrNull(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

}  // namespace

nlohmann::json ToJson(const DataSpec& d) {
  return {{"base", d.base},
          {"root", d.root},
          {"mapped", d.mapped},
          {"mapped_root", OrNull(d.mapped_root)},
          {"target_rate", d.target_rate},
          {"segment_len", d.segment_len},
          {"filters", d.filters},
          {"nan", d.nan},
          {"folds", {{"k", d.folds.k}, {"seed", d.folds.seed}, {"group_by", d.folds.group_by}}},
          {"fold", d.fold},
          {"subset", d.subset}};
}

nlohmann::json ToJson(const RepresentationSpec& r) {
  return {{"kind", r.kind},
          {"encoder",
           {{"name", OrNull(r.encoder.name)},
            {"path", OrNull(r.encoder.path)},
            {"pretrain", r.encoder.pretrain}}},
          {"encoder_tokens", r.encoder_tokens},
          {"normalization", r.normalization},
          {"ecg_byte",
           {{"merges", r.ecg_byte.merges},
            {"samples", r.ecg_byte.samples},
            {"tokenizer", OrNull(r.ecg_byte.tokenizer)}}},
          {"signal2vec",
           {{"dim", r.signal2vec.dim},
            {"epochs", r.signal2vec.epochs},
            {"window", r.signal2vec.window},
            {"negatives", r.signal2vec.negatives},
            {"min_count", r.signal2vec.min_count},
            {"max_pairs", r.signal2vec.max_pairs},
            {"batch_size", r.signal2vec.batch_size},
            {"lr", r.signal2vec.lr}}},
          {"perturb", r.perturb},
          {"image", {{"layout", r.image.layout}, {"augment", r.image.augment}}}};
}

nlohmann::json ToJson(const ModelSpec& m) {
  return {{"llm", {{"path", OrNull(m.llm.path)}, {"template", m.llm.chat_template}}},
          {"lora",
           {{"enabled", m.lora.enabled},
            {"rank", m.lora.rank},
            {"alpha", m.lora.alpha},
            {"dropout", m.lora.dropout},
            {"targets", m.lora.targets}}}};
}

nlohmann::json ToJson(const TrainSpec& t) {
  const OptimizerSpec& o = t.optimizer;
  const EarlyStoppingSpec& e = t.early_stopping;
  return {{"optimizer",
           {{"name", o.name},
            {"lr", o.lr},
            {"betas", {o.beta1, o.beta2}},
            {"eps", o.eps},
            {"weight_decay", o.weight_decay}}},
          {"schedule", {{"name", t.schedule.name}, {"warmup", t.schedule.warmup}}},
          {"batch_size", t.batch_size},
          {"grad_accum", t.grad_accum},
          {"epochs", t.epochs},
          {"max_steps", t.max_steps ? nlohmann::json(*t.max_steps) : nlohmann::json(nullptr)},
          {"max_tokens", t.max_tokens},
          {"min_ecg_tokens", t.min_ecg_tokens},
          {"clip_grad_norm", t.clip_grad_norm},
          {"precision", t.precision},
          {"checkpoint_every", t.checkpoint_every},
          {"early_stopping",
           {{"enabled", e.enabled},
            {"metric", e.metric},
            {"patience", e.patience},
            {"delta", e.delta}}},
          {"deterministic", t.deterministic},
          {"seed", t.seed},
          {"ablation", t.ablation}};
}

nlohmann::json ToJson(const EvaluateSpec& e) {
  const GenerationSpec& g = e.generation;
  return {{"generation",
           {{"max_new_tokens", g.max_new_tokens},
            {"greedy", g.greedy},
            {"temperature", g.temperature},
            {"top_p", g.top_p},
            {"top_k", g.top_k},
            {"seed", g.seed}}},
          {"metrics", e.metrics},
          {"bertscore", {{"path", OrNull(e.bertscore.path)}, {"layer", e.bertscore.layer}}},
          {"ablation", e.ablation},
          {"compare", e.compare}};
}

nlohmann::json ToJson(const ResourcesSpec& r) {
  return {{"ranks", r.ranks},
          {"gpus_per_rank", r.gpus_per_rank},
          {"cpus_per_rank", r.cpus_per_rank},
          {"memory_per_rank", r.memory_per_rank},
          {"preprocess_shards", r.preprocess_shards},
          {"eval_shards", r.eval_shards},
          {"max_attempts", r.max_attempts}};
}

nlohmann::json ToJson(const ProbeSpec& p) {
  return {{"ranks", p.ranks}, {"shards", p.shards}, {"duration", p.duration_s}};
}

nlohmann::json ToJson(const ExperimentSpec& s) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [key, value] : s.labels) labels[key] = value;
  auto optional = [](const auto& section) {
    return section ? ToJson(*section) : nlohmann::json(nullptr);
  };
  return {{"name", s.name},
          {"description", s.description},
          {"priority", s.priority},
          {"labels", labels},
          {"probe", optional(s.probe)},
          {"data", optional(s.data)},
          {"representation", ToJson(s.representation)},
          {"model", ToJson(s.model)},
          {"train", optional(s.train)},
          {"evaluate", optional(s.evaluate)},
          {"resources", ToJson(s.resources)}};
}

}  // namespace ecgbench::common
