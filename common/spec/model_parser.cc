// The model section: the LLM to fine-tune and its LoRA adapters (or full fine-tuning).
#include "absl/strings/str_cat.h"
#include "common/spec/spec_parser.h"

namespace ecgbench::common {
namespace {

void ParseLlm(SectionReader& r, LlmSpec* out, SectionRefs* refs) {
  const SpecNode* node = r.Get("llm");
  if (node == nullptr) return;
  SectionReader llm(*node, r.PathOf("llm"), r.KeyLine("llm"), r.diag());
  refs->llm = SectionRefs::Ref{true, llm.path(), llm.line(), !node->IsMap() && !node->IsNull()};
  refs->llm_path_given = llm.String("path", &out->path);
  llm.Enum("template", {"llama3", "chatml", "gemma2", "gpt2", "opt", "auto"}, &out->chat_template);
  llm.Finish();
}

void ParseLora(SectionReader& r, LoraSpec* out) {
  const SpecNode* node = ReadToggleOrMapping(r, "lora", &out->enabled);
  if (node == nullptr) return;
  SectionReader lora(*node, r.PathOf("lora"), r.KeyLine("lora"), r.diag());
  lora.Int("rank", IntRange{1, 4096}, &out->rank);
  lora.Number("alpha", NumberRange{0, true}, &out->alpha);
  lora.Number("dropout", NumberRange{0, false, 1, true}, &out->dropout);
  lora.EnumList("targets", {"q", "k", "v", "o", "gate", "up", "down"}, &out->targets);
  lora.Finish();
}

}  // namespace

void ParseModel(SectionReader& r, ModelSpec* out, SectionRefs* refs) {
  ParseLlm(r, &out->llm, refs);
  ParseLora(r, &out->lora);
  r.Bool("train_new_tokens", &out->train_new_tokens);
  r.Finish();
}

}  // namespace ecgbench::common
