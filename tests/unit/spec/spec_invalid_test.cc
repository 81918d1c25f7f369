// Invalid specs, each with its exact error message: `<key path>: <reason> (<file>:<line>)`.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

struct InvalidCase {
  const char* name;
  std::string yaml;
  std::string error;
};

// Test names carry the case name; this keeps ctest from printing the raw bytes of the case.
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

std::string Cat(const char* head, const char* tail) { return std::string(head) + tail; }

std::string ManyRates() {
  std::string list = "[";
  for (int rate = 100; rate < 500; ++rate) list += std::to_string(rate) + (rate < 499 ? ", " : "]");
  return list;
}

std::vector<InvalidCase> Cases() {
  return {
      {"lr_not_a_number", Cat(kTrainHead, "  lr: abc\n"),
       "train.lr: expected a positive number, got \"abc\" (spec.yaml:10)"},
      {"optimizer_lr_negative", Cat(kTrainHead, "  optimizer: {lr: -1}\n"),
       "train.optimizer.lr: expected a positive number, got -1 (spec.yaml:10)"},
      {"segment_len", Cat(kDataHead, "  segment_len: 1000\n"),
       "data.segment_len: expected one of 500|1250|2500, got 1000 (spec.yaml:5)"},
      {"unknown_train_key", Cat(kTrainHead, "  lrr: 0.1\n"),
       "train.lrr: unknown key; did you mean \"lr\"? (spec.yaml:10)"},
      {"missing_base", "name: t\ndata:\n  root: /x\n",
       "data.base: required key missing (spec.yaml:2)"},
      {"bad_base", "name: t\ndata:\n  base: ptb\n  root: /d\n",
       "data.base: expected one of ptbxl|mimic|code15|cpsc|csn, got \"ptb\" (spec.yaml:3)"},
      {"lora_target", "name: t\nmodel:\n  lora: {targets: [q, k, x]}\nprobe: {}\n",
       "model.lora.targets[2]: expected one of q|k|v|o|gate|up|down, got \"x\" (spec.yaml:3)"},
      {"yaml_syntax", "name: t\ndata: [1,\n",
       "spec.yaml:3:1: YAML syntax error: end of sequence flow not found"},
      {"bad_name", "name: my spec\nprobe: {}\n",
       "name: expected 1..100 letters, digits, '.', '_' or '-', got \"my spec\" (spec.yaml:1)"},
      {"missing_name", "probe: {}\n", "name: required key missing (spec.yaml:1)"},
      {"bad_priority", "name: t\npriority: urgent\nprobe: {}\n",
       "priority: expected low|normal|high or an integer in 0..100, got \"urgent\" (spec.yaml:2)"},
      {"priority_range", "name: t\npriority: 101\nprobe: {}\n",
       "priority: expected low|normal|high or an integer in 0..100, got 101 (spec.yaml:2)"},
      {"unknown_section", "name: t\nprobe: {}\ntrian: {}\n",
       "trian: unknown key; did you mean \"train\"? (spec.yaml:3)"},
      {"unknown_key_far", "name: t\nprobe: {}\nfoo: 1\n",
       "foo: unknown key; expected one of name|description|priority|labels|probe|data|"
       "representation|model|train|evaluate|rag|resources|matrix (spec.yaml:3)"},
      {"image_with_projection",
       Cat(kDataHead, "representation:\n  kind: image\n  encoder: projection\n"),
       "representation.encoder: representation.kind image needs a vision encoder: clip|siglip|vit "
       "or {path: ...}, got \"projection\" (spec.yaml:7)"},
      {"token_with_clip", Cat(kDataHead, "representation: {kind: token, encoder: clip}\n"),
       "representation.encoder: representation.kind token needs none|signal2vec, got \"clip\" "
       "(spec.yaml:5)"},
      {"signal_with_vision_path",
       Cat(kDataHead, "representation: {kind: signal, encoder: {path: /m/siglip}}\n"),
       "representation.encoder: representation.kind signal needs an ECG encoder: "
       "projection|st_mem|mtae|mlae|merl, got {path: \"/m/siglip\"} (spec.yaml:5)"},
      {"projection_patches", Cat(kDataHead, "representation: {encoder_tokens: 4}\n"),
       "representation.encoder_tokens: must divide data.segment_len 1250 (the projection cuts the segment "
       "into equal time patches), got 4 (spec.yaml:5)"},
      {"zscore_token", Cat(kDataHead, "representation: {kind: token, normalization: zscore}\n"),
       "representation.normalization: zscore is for representation.kind signal only (token needs values in [0, 1]: "
       "minmax or percentile) (spec.yaml:5)"},
      {"projection_tokens_features", Cat(kDataHead, "representation: {kind: features, encoder_tokens: 5}\n"),
       "representation.encoder_tokens: expected 1 for encoder projection on representation.kind features (one "
       "projected embedding), got 5 (spec.yaml:5)"},
      {"image_without_encoder", Cat(kDataHead, "representation:\n  kind: image\n"),
       "representation.encoder: required key missing (representation.kind image needs a vision "
       "encoder: clip|siglip|vit or {path: ...}) (spec.yaml:5)"},
      {"pretrain_projection",
       Cat(kDataHead, "representation: {encoder: {name: projection, pretrain: true}}\n"),
       "representation.encoder.pretrain: encoder projection has no pretraining stage (it trains "
       "with the LLM) (spec.yaml:5)"},
      {"preset_on_vision",
       Cat(kDataHead, "representation: {kind: image, encoder: {name: clip, preset: tiny}}\n"),
       "representation.encoder.preset: preset applies to the ECG encoders st_mem, mtae, mlae and merl (spec.yaml:5)"},
      {"text_encoder_on_st_mem",
       Cat(kDataHead, "representation: {encoder: {name: st_mem, pretrain: true, text_encoder: /m}}\n"),
       "representation.encoder.text_encoder: text_encoder is the frozen report encoder of merl pretraining "
       "(spec.yaml:5)"},
      {"folds_k", Cat(kDataHead, "  folds: {k: 1}\n"),
       "data.folds.k: expected an integer in 2..100, got 1 (spec.yaml:5)"},
      {"fold_beyond_k", Cat(kDataHead, "  fold: 6\n"),
       "data.fold: expected an integer in 1..5, got 6 (spec.yaml:5)"},
      {"subset_zero", Cat(kDataHead, "  subset: 0\n"),
       "data.subset: expected a number in (0, 1], got 0 (spec.yaml:5)"},
      {"mapped_wrong_base",
       "name: t\ndata:\n  base: mimic\n  root: /d\n  mapped: ecg-qa-ptbxl\n  mapped_root: /q\n",
       "data.mapped: ecg-qa-ptbxl maps onto data.base ptbxl, got data.base mimic (spec.yaml:5)"},
      {"mapped_without_root", Cat(kDataHead, "  mapped: [ecg-qa-ptbxl, ecg-bench-pulse]\n"),
       "data.mapped_root: required key missing (data.mapped is given) (spec.yaml:2)"},
      {"betas_length", Cat(kTrainHead, "  optimizer: {betas: [0.9]}\n"),
       "train.optimizer.betas: expected a list of 2 numbers in [0, 1), got a list (spec.yaml:10)"},
      {"beta2_range", Cat(kTrainHead, "  optimizer: {betas: [0.9, 1.0]}\n"),
       "train.optimizer.betas[1]: expected a number in [0, 1), got 1.0 (spec.yaml:10)"},
      {"lr_given_twice", Cat(kTrainHead, "  optimizer: {lr: 0.1}\n  lr: 0.2\n"),
       "train.lr: given twice: also as train.optimizer.lr on line 10; keep one (spec.yaml:11)"},
      {"precision", Cat(kTrainHead, "  precision: fp16\n"),
       "train.precision: expected one of fp32|bf16, got \"fp16\" (spec.yaml:10)"},
      {"min_ecg_tokens", Cat(kTrainHead, "  max_tokens: 512\n  min_ecg_tokens: 600\n"),
       "train.min_ecg_tokens: expected at most train.max_tokens (512), got 600 (spec.yaml:11)"},
      {"memory_unit", "name: t\nprobe: {}\nresources: {memory_per_rank: 8 gigs}\n",
       "resources.memory_per_rank: expected bytes: an integer or a string such as \"8GiB\" (at "
       "most 1 PiB), got \"8 gigs\" (spec.yaml:3)"},
      {"duplicate_key", Cat(kDataHead, "  root: /again\n"),
       "data.root: duplicate key; first given on line 4 (spec.yaml:5)"},
      {"signal2vec_lr", Cat(kDataHead, "representation: {kind: token, signal2vec: {lr: 0}}\n"),
       "representation.signal2vec.lr: expected a number in (0, 10], got 0 (spec.yaml:5)"},
      {"probe_ranks", "name: t\nprobe: {ranks: 0}\n",
       "probe.ranks: expected an integer in 1..4096, got 0 (spec.yaml:2)"},
      {"probe_duration", "name: t\nprobe: {duration: -1}\n",
       "probe.duration: expected a number in [0, 604800], got -1 (spec.yaml:2)"},
      {"train_without_model",
       "name: t\ndata:\n  base: ptbxl\n  root: /d\n  mapped: ecg-qa-ptbxl\n  mapped_root: "
       "/q\ntrain: {}\n",
       "model: required key missing (train needs model.llm.path) (spec.yaml:7)"},
      {"train_without_data", "name: t\nmodel: {llm: {path: /m}}\ntrain: {}\n",
       "data: required key missing (train needs it) (spec.yaml:3)"},
      {"train_without_mapped", Cat(kDataHead, "model: {llm: {path: /m}}\ntrain: {}\n"),
       "data.mapped: required key missing (train needs the question-answer text of a mapped "
       "dataset) (spec.yaml:2)"},
      {"llm_without_path",
       "name: t\ndata: {base: ptbxl, root: /d, mapped: ecg-qa-ptbxl, mapped_root: /q}\nmodel:\n"
       "  llm: {template: llama3}\nevaluate: {}\n",
       "model.llm.path: required key missing (evaluate needs it) (spec.yaml:4)"},
      {"bertscore_without_path",
       Cat(kTrainHead, "  epochs: 1\nevaluate:\n  metrics: [bleu, bertscore]\n"),
       "evaluate.bertscore.path: required key missing (evaluate.metrics lists bertscore) "
       "(spec.yaml:11)"},
      {"duplicate_metric", Cat(kTrainHead, "  epochs: 1\nevaluate: {metrics: [bleu, bleu]}\n"),
       "evaluate.metrics[1]: duplicate value \"bleu\" (spec.yaml:11)"},
      {"greedy_not_bool", Cat(kTrainHead, "  epochs: 1\nevaluate: {generation: {greedy: maybe}}\n"),
       "evaluate.generation.greedy: expected true or false, got \"maybe\" (spec.yaml:11)"},
      {"lora_not_bool", "name: t\nprobe: {}\nmodel:\n  lora: yes\n",
       "model.lora: expected a mapping, true or false, got \"yes\" (spec.yaml:4)"},
      {"labels_value", "name: t\nprobe: {}\nlabels:\n  team: [a]\n",
       "labels.team: expected a string, got a list (spec.yaml:4)"},
      {"nothing_to_run", "name: t\n",
       "spec: nothing to run: add at least one of probe, data, train, evaluate (spec.yaml:1)"},
      {"top_level_list", "- a\n- b\n",
       "spec: expected a mapping with at least a name, got a list (spec.yaml:1)"},
      {"empty_document", "",
       "spec: expected a mapping with at least a name, got an empty document (spec.yaml:1)"},
      {"two_documents", "name: a\nprobe: {}\n---\nname: b\n",
       "spec: expected one YAML document, got 2 (spec.yaml:4)"},
      {"matrix_value_error",
       Cat(kDataHead, "matrix:\n  representation:\n    - {kind: signal}\n    - {kind: sig}\n"),
       "matrix.representation[1].kind: expected one of signal|stacked_signal|image|token|features, "
       "got \"sig\" (spec.yaml:8)"},
      {"matrix_fold_range", Cat(kDataHead, "matrix:\n  fold: [1, 7]\n"),
       "matrix.fold[1]: expected an integer in 1..5, got 7 (spec.yaml:6)"},
      {"matrix_too_large",
       Cat(kDataHead, ("matrix:\n  data.segment_len: [500, 1250, 2500]\n  data.target_rate: " +
                       ManyRates() + "\n")
                          .c_str()),
       "matrix: expands to 1200 runs; the limit is 1000 (spec.yaml:5)"},
      {"matrix_unknown_section", Cat(kDataHead, "matrix:\n  trian.lr: [0.1]\n"),
       "matrix.trian.lr: unknown key \"trian\"; did you mean \"train\"? (spec.yaml:6)"},
      {"matrix_unknown_key", Cat(kTrainHead, "  epochs: 1\nmatrix:\n  train.lrr: [0.1, 0.2]\n"),
       "matrix.train.lrr: unknown key \"lrr\"; did you mean \"lr\"? (spec.yaml:12)"},
      {"matrix_not_list", Cat(kDataHead, "matrix:\n  fold: 3\n"),
       "matrix.fold: expected a non-empty list of values, got 3 (spec.yaml:6)"},
      {"matrix_name", Cat(kDataHead, "matrix:\n  name: [a, b]\n"),
       "matrix.name: cannot be varied; matrix keys name a section or a key inside one "
       "(probe|data|representation|model|train|evaluate|rag|resources) (spec.yaml:6)"},
      {"matrix_duplicate_value", Cat(kDataHead, "matrix:\n  fold: [1, 2, 1]\n"),
       "matrix.fold[2]: duplicate of matrix.fold[0] (spec.yaml:6)"},
      {"matrix_overlap", Cat(kDataHead, "matrix:\n  fold: [1, 2]\n  data.fold: [3]\n"),
       "matrix.data.fold: overlaps matrix key fold (spec.yaml:7)"},
      {"matrix_missing_section", "name: t\nprobe: {}\nmatrix:\n  train.lr: [0.1]\n",
       "matrix.train.lr: the spec has no train section to vary (spec.yaml:4)"},
      {"errors_sorted_by_line", "name: t\nresources: {cpus_per_rank: 0}\nprobe: {ranks: 0}\n",
       "resources.cpus_per_rank: expected an integer in 1..1024, got 0 (spec.yaml:2)\n"
       "probe.ranks: expected an integer in 1..4096, got 0 (spec.yaml:3)"},
  };
}

class InvalidSpecTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidSpecTest, ReportsExactMessage) {
  EXPECT_EQ(PlanError(GetParam().yaml), GetParam().error) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidSpecTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<InvalidCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(InvalidSpecTest, CollectsEveryErrorOfOneSpec) {
  const std::string yaml =
      "name: bad name\n"     // 1
      "priority: 7000\n"     // 2
      "data:\n"              // 3
      "  base: ptbxl\n"      // 4
      "  segment_len: 99\n"  // 5
      "train:\n"             // 6
      "  lr: abc\n"          // 7
      "  batch_size: 0\n";   // 8
  EXPECT_EQ(
      PlanError(yaml),
      "name: expected 1..100 letters, digits, '.', '_' or '-', got \"bad name\" (spec.yaml:1)\n"
      "priority: expected low|normal|high or an integer in 0..100, got 7000 (spec.yaml:2)\n"
      "data.root: required key missing (spec.yaml:3)\n"
      "data.mapped: required key missing (train needs the question-answer text of a mapped "
      "dataset) (spec.yaml:3)\n"
      "data.segment_len: expected one of 500|1250|2500, got 99 (spec.yaml:5)\n"
      "model: required key missing (train needs model.llm.path) (spec.yaml:6)\n"
      "train.lr: expected a positive number, got \"abc\" (spec.yaml:7)\n"
      "train.batch_size: expected an integer in 1..65536, got 0 (spec.yaml:8)");
}

TEST(InvalidSpecTest, MatrixErrorIsReportedOnceForAllRuns) {
  const std::string yaml = Cat(kDataHead, "  subset: 2\nmatrix:\n  fold: [1, 2, 3]\n");
  EXPECT_EQ(PlanError(yaml), "data.subset: expected a number in (0, 1], got 2 (spec.yaml:5)");
}

}  // namespace
}  // namespace ecgbench::common::testing
