// ExperimentSpec -> JSON, one function per section.
#include "common/spec/spec_json.h"

#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"

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
            {"pretrain", r.encoder.pretrain},
            {"preset", OrNull(r.encoder.preset)},
            {"text_encoder", OrNull(r.encoder.text_encoder)}}},
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
            {"targets", m.lora.targets}}},
          {"train_new_tokens", m.train_new_tokens}};
}

nlohmann::json ToJson(const TrainSpec& t) {
  const OptimizerSpec& o = t.optimizer;
  const EarlyStoppingSpec& e = t.early_stopping;
  return {{"optimizer",
           {{"name", o.name},
            {"lr", o.lr},
            {"projection_lr", o.projection_lr > 0 ? nlohmann::json(o.projection_lr) : nlohmann::json(nullptr)},
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
          {"judge", {{"path", OrNull(e.judge.path)}, {"temperature", e.judge.temperature}}},
          {"bertscore", {{"path", OrNull(e.bertscore.path)}, {"layer", e.bertscore.layer}}},
          {"ablation", e.ablation},
          {"compare", e.compare}};
}

nlohmann::json ToJson(const RagSpec& r) {
  return {{"k", r.k},
          {"space", r.space},
          {"prompt", r.prompt},
          {"zscore", r.zscore},
          {"features_in_prompt", r.features_in_prompt}};
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
          {"rag", optional(s.rag)},
          {"resources", ToJson(s.resources)}};
}

namespace {

// Typed reads of optional fields under a dotted prefix; the first error wins.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {}
  template <typename T>
  void Read(const char* key, T* out) {
    if (!status_.ok() || !j_.is_object() || !j_.contains(key) || j_[key].is_null()) return;
    const nlohmann::json& v = j_[key];
    const bool ok = std::is_same_v<T, bool> ? v.is_boolean()
                    : std::is_same_v<T, std::string> ? v.is_string()
                    : std::is_integral_v<T> ? v.is_number_integer()
                    : v.is_number();
    if (!ok) {
      status_ = absl::InvalidArgumentError(absl::StrCat(prefix_, key, ": expected ",
                                                        std::is_same_v<T, bool> ? "a boolean"
                                                        : std::is_same_v<T, std::string> ? "a string"
                                                        : std::is_integral_v<T> ? "an integer" : "a number",
                                                        ", got ", v.dump()));
      return;
    }
    *out = v.get<T>();
  }
  FieldReader Child(const char* key) {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    if (j_.is_object() && j_.contains(key) && j_[key].is_object()) return FieldReader(j_[key], prefix_ + key + ".");
    if (status_.ok() && j_.is_object() && j_.contains(key) && !j_[key].is_null()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(prefix_, key, ": expected an object, got ", j_[key].dump()));
    }
    return FieldReader(kEmpty, prefix_ + key + ".");
  }
  const nlohmann::json& json() const { return j_; }
  const std::string& prefix() const { return prefix_; }
  absl::Status status() const { return status_; }
  void Merge(const FieldReader& child) {
    if (status_.ok()) status_ = child.status_;
  }
  void Fail(absl::Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  // A list of strings (replaces *out when present).
  void ReadStrings(const char* key, std::vector<std::string>* out) {
    if (!status_.ok() || !j_.is_object() || !j_.contains(key) || j_[key].is_null()) return;
    const nlohmann::json& v = j_[key];
    std::vector<std::string> values;
    for (const nlohmann::json& x : v.is_array() ? v : nlohmann::json::array()) {
      if (!x.is_string()) break;
      values.push_back(x.get<std::string>());
    }
    if (!v.is_array() || values.size() != v.size()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(prefix_, key, ": expected a list of strings, got ", v.dump()));
      return;
    }
    *out = std::move(values);
  }

 private:
  const nlohmann::json& j_;
  std::string prefix_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<ModelSpec> ModelSpecFromJson(const nlohmann::json& model) {
  ModelSpec m;
  FieldReader r(model, "model.");
  FieldReader llm = r.Child("llm");
  llm.Read("path", &m.llm.path);
  llm.Read("template", &m.llm.chat_template);
  FieldReader lora = r.Child("lora");
  lora.Read("enabled", &m.lora.enabled);
  lora.Read("rank", &m.lora.rank);
  lora.Read("alpha", &m.lora.alpha);
  lora.Read("dropout", &m.lora.dropout);
  lora.ReadStrings("targets", &m.lora.targets);
  r.Read("train_new_tokens", &m.train_new_tokens);
  r.Merge(llm);
  r.Merge(lora);
  if (!r.status().ok()) return r.status();
  return m;
}

absl::StatusOr<TrainSpec> TrainSpecFromJson(const nlohmann::json& train) {
  TrainSpec t;
  FieldReader r(train, "train.");
  FieldReader o = r.Child("optimizer");
  o.Read("name", &t.optimizer.name);
  o.Read("lr", &t.optimizer.lr);
  o.Read("projection_lr", &t.optimizer.projection_lr);  // null: the same as lr
  o.Read("eps", &t.optimizer.eps);
  o.Read("weight_decay", &t.optimizer.weight_decay);
  if (o.json().is_object() && o.json().contains("betas")) {
    const nlohmann::json& b = o.json()["betas"];
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number()) {
      o.Fail(absl::InvalidArgumentError(absl::StrCat("train.optimizer.betas: expected two numbers, got ", b.dump())));
    } else {
      t.optimizer.beta1 = b[0].get<double>();
      t.optimizer.beta2 = b[1].get<double>();
    }
  }
  FieldReader s = r.Child("schedule");
  s.Read("name", &t.schedule.name);
  s.Read("warmup", &t.schedule.warmup);
  r.Read("batch_size", &t.batch_size);
  r.Read("grad_accum", &t.grad_accum);
  r.Read("epochs", &t.epochs);
  int64_t max_steps = 0;
  r.Read("max_steps", &max_steps);
  if (max_steps > 0) t.max_steps = max_steps;
  r.Read("max_tokens", &t.max_tokens);
  r.Read("min_ecg_tokens", &t.min_ecg_tokens);
  r.Read("clip_grad_norm", &t.clip_grad_norm);
  r.Read("precision", &t.precision);
  r.Read("checkpoint_every", &t.checkpoint_every);
  FieldReader e = r.Child("early_stopping");
  e.Read("enabled", &t.early_stopping.enabled);
  e.Read("metric", &t.early_stopping.metric);
  e.Read("patience", &t.early_stopping.patience);
  e.Read("delta", &t.early_stopping.delta);
  r.Read("deterministic", &t.deterministic);
  r.Read("seed", &t.seed);
  r.ReadStrings("ablation", &t.ablation);
  r.Merge(o);
  r.Merge(s);
  r.Merge(e);
  if (!r.status().ok()) return r.status();
  return t;
}

absl::StatusOr<EvaluateSpec> EvaluateSpecFromJson(const nlohmann::json& evaluate) {
  EvaluateSpec e;
  FieldReader r(evaluate, "evaluate.");
  FieldReader g = r.Child("generation");
  g.Read("max_new_tokens", &e.generation.max_new_tokens);
  g.Read("greedy", &e.generation.greedy);
  g.Read("temperature", &e.generation.temperature);
  g.Read("top_p", &e.generation.top_p);
  g.Read("top_k", &e.generation.top_k);
  g.Read("seed", &e.generation.seed);
  r.ReadStrings("metrics", &e.metrics);
  FieldReader b = r.Child("bertscore");
  b.Read("path", &e.bertscore.path);
  b.Read("layer", &e.bertscore.layer);
  r.ReadStrings("ablation", &e.ablation);
  r.Read("compare", &e.compare);
  FieldReader j = r.Child("judge");
  j.Read("path", &e.judge.path);
  j.Read("temperature", &e.judge.temperature);
  r.Merge(g);
  r.Merge(b);
  r.Merge(j);
  if (!r.status().ok()) return r.status();
  if (e.generation.max_new_tokens < 1) {
    return absl::InvalidArgumentError("evaluate.generation.max_new_tokens: must be >= 1");
  }
  return e;
}

}  // namespace ecgbench::common
