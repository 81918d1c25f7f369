// The rag section: retrieval-augmented prompts (docs/rag.md): how many ECGs to retrieve, in which
// vector space, and where their reports and features go in the prompt.
#include "common/spec/spec_parser.h"

namespace ecgbench::common {

void ParseRag(SectionReader& r, RagSpec* out) {
  r.Int("k", IntRange{1, 20}, &out->k);
  r.Enum("space", {"signal", "feature", "combined"}, &out->space);
  r.Enum("prompt", {"system_prompt", "user_query"}, &out->prompt);
  r.Bool("zscore", &out->zscore);
  r.Bool("features_in_prompt", &out->features_in_prompt);
  r.Finish();
}

}  // namespace ecgbench::common
