// The text that puts retrieved ECGs into an ELM conversation, in upstream ECG-Bench's wording:
//
//   The following is the top {k} retrieved ECGs and their corresponding features and diagnosis.
//   Utilize this information to further enhance your response.
//
//   Retrieved ECG 1
//   Diagnosis Information:
//   {report}
//
//   Feature Information:
//   Lead I
//   mean: 0.012345
//   ...
//
// Values are written as Python's str(round(v, 6)). Differences from upstream (docs/rag.md): the
// report appears once (upstream printed it twice), all 12 leads are listed under a lead header
// (upstream's zip printed only lead I's 24 values), and no text is produced when nothing is left
// after upstream's filter of degenerate hits. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/rag/rag_index.h"

namespace ecgbench::common::rag {

enum class RagPromptMode { kSystemPrompt, kUserQuery };
// "system_prompt" or "user_query" (upstream's --rag_prompt_mode values).
absl::StatusOr<RagPromptMode> ParseRagPromptMode(std::string_view name);

struct RetrievedEcg {
  std::string report;
  std::vector<float> features;  // num_leads * 24, lead-major (empty: no feature block)
};

struct RagPromptOptions {
  bool include_features = true;   // false: upstream's diagnosis-only wording
  bool filter_degenerate = true;  // upstream: drop hits with > 50 % |f| < 1e-3 or sum |f| < 0.5
};

// The hits' reports and raw features from the database.
std::vector<RetrievedEcg> RetrievedFromHits(const RagIndex& index, const std::vector<RagHit>& hits);

// Upstream's degenerate-hit test on a feature vector.
bool IsDegenerateFeatureVector(absl::Span<const float> features);

// The retrieval text (ends with a blank line), or "" when no hit remains.
std::string FormatRetrievedEcgs(const std::vector<RetrievedEcg>& hits, const RagPromptOptions& options = {});

// Appends `rag_text` (trailing newlines dropped) after a blank line to the system prompt or to the
// user's query; nothing when it is empty.
void InsertRagText(RagPromptMode mode, std::string_view rag_text, std::string& system_prompt,
                   std::string& user_query);

// Python's str(round(v, 6)) for a finite double: "0.123457", "1.0", "-0.0", "1e-06", "2.5e+16".
std::string FormatFeatureValue(double v);

}  // namespace ecgbench::common::rag
