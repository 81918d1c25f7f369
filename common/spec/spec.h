// ExperimentSpec: one validated, matrix-free experiment spec with every default filled in. The
// defaults written here are the documented ones (docs/spec.md lists every key). Plain data,
// torch-free, copyable. Optional sections are std::optional; a section that is always meaningful
// (representation, model, resources) is present with its defaults when the spec omits it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common {

// probe: the cluster check stage (environment report + all-reduce across the ranks of a task).
struct ProbeSpec {
  int ranks = 1;
  int shards = 1;
  double duration_s = 0;  // 0: one all-reduce round; > 0: repeat rounds for this long (burn-in)
};

struct FoldsSpec {
  int k = 5;
  int64_t seed = 42;
  std::string group_by = "patient";  // patient | record
};

struct DataSpec {
  std::string base;                 // ptbxl | mimic | code15 | cpsc | csn (required)
  std::string root;                 // required
  std::vector<std::string> mapped;  // mapped (question-answer) datasets to mix; empty: none
  std::string mapped_root;          // required when mapped is given
  int target_rate = 250;            // Hz
  int segment_len = 1250;           // 500 | 1250 | 2500 samples
  std::string filters = "none";     // none | paper
  std::string nan = "skip";         // skip | zero
  FoldsSpec folds;
  int fold = 1;       // 1..folds.k: the held-out fold of this run
  double subset = 1;  // (0, 1]
};

struct EncoderSpec {
  // projection | st_mem | mtae | mlae | merl | signal2vec | clip | siglip | vit | none; empty
  // when only `path` names an HF vision model.
  std::string name = "projection";
  std::string path;       // checkpoint or model directory; empty: resolved by the worker
  bool pretrain = false;  // true: a "pretrain" stage trains the encoder first
  std::string preset;        // ECG encoders built here: base (upstream's sizes) | tiny; empty: base
  std::string text_encoder;  // merl pretraining: the frozen BERT folder (e.g. MedCPT-Query-Encoder)
};

struct EcgByteSpec {
  int merges = 6000;
  int64_t samples = 300000;
  std::string tokenizer;  // an existing tokenizer; empty: a "tokenizer" stage trains one
};

// Signal2Vec embeddings (encoder signal2vec without a path): skip-gram training options; the
// defaults are upstream's (common/repr/signal2vec/signal2vec_options.h).
struct Signal2VecSpec {
  int dim = 128;
  int epochs = 10;
  int window = 12;
  int negatives = 5;
  int min_count = 10;
  int64_t max_pairs = 10000000;  // (center, context) pairs per epoch
  int batch_size = 1024;
  double lr = 2e-3;
};

struct ImageSpec {
  std::string layout = "2x6";  // 2x6 | 4x3+rhythm
  bool augment = false;
};

struct RepresentationSpec {
  std::string kind = "signal";  // signal | stacked_signal | image | token | features
  EncoderSpec encoder;          // default: projection (signal, features), none (token)
  int encoder_tokens = 1;
  std::string normalization = "minmax";  // minmax | percentile
  EcgByteSpec ecg_byte;                  // used by kind token
  Signal2VecSpec signal2vec;             // used by encoder signal2vec
  std::string perturb = "none";          // none | noise | blackout | no_signal
  ImageSpec image;                       // used by kind image
};

struct LlmSpec {
  std::string path;                    // required when train or evaluate is present
  std::string chat_template = "auto";  // YAML key `template`: llama3|chatml|gemma2|gpt2|opt|auto
};

struct LoraSpec {
  bool enabled = true;  // `lora: false`: full fine-tuning
  int rank = 16;
  double alpha = 32;
  double dropout = 0.05;
  std::vector<std::string> targets = {"q", "k", "v", "o", "gate", "up", "down"};
};

struct ModelSpec {
  LlmSpec llm;
  LoraSpec lora;
  // Train the embedding rows of added tokens (ECG-Byte ids, <signal>). Upstream freezes them (its
  // README: training them hurt a pretrained LLM); an LLM trained from random weights learns them.
  bool train_new_tokens = false;
};

struct OptimizerSpec {
  std::string name = "adamw";  // adam | adamw
  double lr = 1e-4;
  // Learning rate of the ELM's projection (LLaVA's mm_projector_lr); 0: `lr`. Adam moves every
  // weight by about lr per step, so a projection with a large fan-in (12 x 1250 inputs) needs a
  // far smaller one than the LLM.
  double projection_lr = 0;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

struct ScheduleSpec {
  std::string name = "noam";  // noam | cosine | constant
  int64_t warmup = 500;
};

struct EarlyStoppingSpec {
  bool enabled = true;              // `early_stopping: false` disables it
  std::string metric = "val_loss";  // val_loss | train_loss
  int patience = 5;
  double delta = 0.1;
};

struct TrainSpec {
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  int batch_size = 8;  // per rank
  int grad_accum = 1;
  int epochs = 1;
  std::optional<int64_t> max_steps;
  int max_tokens = 1024;
  int min_ecg_tokens = 250;
  double clip_grad_norm = 1.0;     // 0 disables clipping
  std::string precision = "bf16";  // fp32 | bf16 (ignored on CPU)
  int64_t checkpoint_every = 500;  // steps; 0: only at the end of each epoch
  EarlyStoppingSpec early_stopping;
  bool deterministic = false;
  int64_t seed = 0;
  std::vector<std::string> ablation = {"signal"};  // signal | zeros | none
};

struct GenerationSpec {
  int max_new_tokens = 128;
  bool greedy = true;
  double temperature = 1.0;  // sampling only (greedy: false)
  double top_p = 1.0;
  int top_k = 0;  // 0: no top-k filter
  int64_t seed = 0;
};

struct BertScoreSpec {
  std::string path;  // required when metrics lists bertscore
  int layer = 17;
};

// Optional LLM-as-judge (docs/evaluation-judge.md): for every `signal` turn two answers are sampled
// and a local causal LM picks the better one; the pairs are written as preference data.
struct JudgeSpec {
  std::string path;  // the judge's Hugging Face folder; empty: no judge
  double temperature = 1.0;  // sampling of the two candidates
};

struct EvaluateSpec {
  GenerationSpec generation;
  JudgeSpec judge;
  std::vector<std::string> metrics = {"bleu", "rouge", "meteor", "accuracy"};
  BertScoreSpec bertscore;
  std::vector<std::string> ablation = {"signal"};  // signal | zeros | none
  std::string compare = "none";                    // none | paired_bootstrap | wilcoxon
};

// rag: retrieval-augmented prompts. Present = on: a `rag` stage indexes the run's training
// segments; train and evaluate add the top-k neighbours' reports (and features) to each prompt.
struct RagSpec {
  int k = 1;                           // retrieved ECGs per conversation
  std::string space = "signal";        // signal | feature | combined: the vectors compared
  std::string prompt = "system_prompt";  // system_prompt | user_query: where the text goes
  bool zscore = false;                 // z-score features across leads and signals per lead
  // List each neighbour's 288 features after its report (about 2,000 tokens per neighbour, more
  // than the default 1024-token budget holds: off by default; upstream printed lead I's 24).
  bool features_in_prompt = false;
};

struct ResourcesSpec {
  int ranks = 1;  // ranks of the train and pretrain tasks
  int gpus_per_rank = 0;
  int cpus_per_rank = 1;
  int64_t memory_per_rank = 0;  // bytes; 0: no requirement
  int preprocess_shards = 1;
  int eval_shards = 1;
  int max_attempts = 3;
};

struct ExperimentSpec {
  std::string name;  // required; [A-Za-z0-9._-]+, at most 100 characters
  std::string description;
  int priority = 50;  // low 25 | normal 50 | high 75 | an integer 0..100
  std::vector<std::pair<std::string, std::string>> labels;  // in document order
  std::optional<ProbeSpec> probe;
  std::optional<DataSpec> data;
  RepresentationSpec representation;
  ModelSpec model;
  std::optional<TrainSpec> train;
  std::optional<EvaluateSpec> evaluate;
  std::optional<RagSpec> rag;
  ResourcesSpec resources;
};

// Parses and validates one matrix-free spec (a spec with `matrix:` is an error: PlanExperiment
// expands it). Errors: InvalidArgument listing every problem, one per line, sorted by line:
//   train.optimizer.lr: expected a positive number, got "abc" (spec.yaml:12)
absl::StatusOr<ExperimentSpec> ParseSpec(const std::string& yaml_text,
                                         const std::string& file_name);

}  // namespace ecgbench::common
