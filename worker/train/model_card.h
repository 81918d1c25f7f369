// The model card (README.md) of an ELM export, in the layout of a Hugging Face model card: YAML
// front matter (base_model, library_name peft when an adapter is exported, license when known,
// pipeline_tag, tags: ecg, electrocardiogram, ...) then Markdown sections: the model (base model,
// ELM kind, representation, encoder, fine-tuning), files, training data (data sets, fold),
// training summary, evaluation metrics, the experiment spec verbatim, license, software.
// Torch-free. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/spec/spec.h"

namespace ecgbench::worker::train {

struct ModelCardLora {
  int64_t rank = 0;
  double alpha = 0;
  double dropout = 0;
  std::vector<std::string> targets;  // module names as in adapter_config.json (q_proj, ...)
  bool use_rslora = false;
};

struct ModelCardTraining {
  int64_t steps = 0;  // 0: nothing is said about training
  int64_t epochs = 0;
  std::optional<double> final_train_loss;
  std::optional<double> best_val_loss;
  std::optional<int64_t> best_step;
  std::string stopped_because;  // e.g. "early stopping (val_loss, patience 5)"; empty: not said
};

// One row of the evaluation table: a metric under one ablation (signal | zeros | none).
struct ModelCardMetric {
  std::string name;
  std::string ablation = "signal";
  double value = 0;
  std::optional<double> ci_low, ci_high;  // 95 % confidence interval when known
};

struct ModelCard {
  std::string title;  // first heading; empty: "<name> (ECG-Bench ELM)" or "ECG-Bench ELM"
  std::string name;   // experiment name
  std::string description;
  std::string base_model;  // hub id or display name (front matter base_model); empty: base_model_path
  std::string base_model_path;
  std::string base_model_license;  // HF license id (llama3.2, apache-2.0, ...); empty: unknown (said so)
  std::string elm_kind;            // llava | encoder_free | ecg_byte
  std::string representation;      // signal | stacked_signal | image | token | features
  std::string encoder;             // encoder name; empty: none
  std::string encoder_path;
  int64_t encoder_tokens = 0;
  int64_t added_tokens = 0;            // tokens added to the vocabulary (`<signal>`, `signal_<id>`)
  std::optional<ModelCardLora> lora;   // set: a PEFT adapter is exported
  bool full_fine_tuning = false;       // the LLM's own weights trained
  bool merged = false;                 // a merged HF folder is included
  std::vector<std::string> datasets;   // base data set then mapped ones
  std::string fold;                    // e.g. "fold 1 of 5 (seed 42, grouped by patient)"
  std::string spec_text;               // included verbatim
  std::string spec_language = "yaml";  // the code block's language (yaml | json)
  ModelCardTraining training;
  std::vector<ModelCardMetric> metrics;
  std::string software_version;                            // empty: "ecgbench <project version>"
  std::vector<std::pair<std::string, std::string>> files;  // (relative path, what it holds)
  std::vector<std::string> extra_tags;
};

// "ecgbench <version>" of this build.
std::string DefaultSoftwareVersion();

// Fills the representation, encoder, LoRA settings (from the spec; the export overwrites them with
// the adapter's), data sets, fold, name and description from a parsed spec. `spec_text` is the
// spec as submitted (YAML); empty: the spec's JSON view (spec_json.h) is used, language json.
void FillModelCardFromSpec(const common::ExperimentSpec& spec, const std::string& spec_text, ModelCard* card);

// README.md text. Values inside the front matter are YAML-quoted when needed; table cells escape
// '|'; the spec is fenced with more backticks than any run inside it.
std::string RenderModelCard(const ModelCard& card);

}  // namespace ecgbench::worker::train
