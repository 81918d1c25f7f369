// The evaluate section: generation settings, metrics, signal ablations and variant comparison.
#include <algorithm>

#include "common/spec/spec_parser.h"

namespace ecgbench::common {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

void ParseGeneration(SectionReader& r, GenerationSpec* out) {
  const SpecNode* node = r.Get("generation");
  if (node == nullptr) return;
  SectionReader gen(*node, r.PathOf("generation"), r.KeyLine("generation"), r.diag());
  gen.Int("max_new_tokens", IntRange{1, 32768}, &out->max_new_tokens);
  gen.Bool("greedy", &out->greedy);
  gen.Number("temperature", NumberRange{0, true}, &out->temperature);
  gen.Number("top_p", NumberRange{0, true, 1, false}, &out->top_p);
  gen.Int("top_k", IntRange{0, 1000000}, &out->top_k);
  gen.Int64("seed", IntRange{0, kInt64Max}, &out->seed);
  gen.Finish();
}

}  // namespace

void ParseEvaluate(SectionReader& r, EvaluateSpec* out) {
  ParseGeneration(r, &out->generation);
  r.EnumList("metrics", {"bleu", "rouge", "meteor", "bertscore", "accuracy", "f1"}, &out->metrics);
  int bertscore_line = r.line();
  std::string bertscore_path = r.PathOf("bertscore");
  bool has_bertscore_path = false;
  if (const SpecNode* node = r.Get("bertscore"); node != nullptr) {
    SectionReader bert(*node, bertscore_path, r.KeyLine("bertscore"), r.diag());
    bertscore_line = bert.line();
    bertscore_path = bert.path();
    has_bertscore_path = bert.String("path", &out->bertscore.path);
    bert.Int("layer", IntRange{1, 100}, &out->bertscore.layer);
    bert.Finish();
  }
  const bool wants_bertscore =
      std::find(out->metrics.begin(), out->metrics.end(), "bertscore") != out->metrics.end();
  if (wants_bertscore && !has_bertscore_path) {
    r.diag()->Error(JoinPath(bertscore_path, "path"), bertscore_line,
                    "required key missing (evaluate.metrics lists bertscore)");
  }
  r.EnumList("ablation", {"signal", "zeros", "none"}, &out->ablation);
  if (const SpecNode* node = r.Get("judge"); node != nullptr) {
    SectionReader judge(*node, r.PathOf("judge"), r.KeyLine("judge"), r.diag());
    if (judge.Get("path") == nullptr) {
      r.diag()->Error(JoinPath(judge.path(), "path"), judge.line(), "required key missing (the judge model's folder)");
    }
    judge.String("path", &out->judge.path);
    judge.Number("temperature", NumberRange{0, true}, &out->judge.temperature);
    judge.Finish();
  }
  r.Enum("compare", {"none", "paired_bootstrap", "wilcoxon"}, &out->compare);
  r.Finish();
}

}  // namespace ecgbench::common
