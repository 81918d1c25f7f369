// Retrieval text in upstream's wording (see rag_prompt.h).
#include "common/rag/rag_prompt.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"

namespace ecgbench::common::rag {

absl::StatusOr<RagPromptMode> ParseRagPromptMode(std::string_view name) {
  if (name == "system_prompt") return RagPromptMode::kSystemPrompt;
  if (name == "user_query") return RagPromptMode::kUserQuery;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown RAG prompt mode '", std::string(name), "' (expected system_prompt or user_query)"));
}

std::vector<RetrievedEcg> RetrievedFromHits(const RagIndex& index, const std::vector<RagHit>& hits) {
  std::vector<RetrievedEcg> out;
  out.reserve(hits.size());
  for (const RagHit& hit : hits) {
    absl::Span<const float> f = index.features(hit.index);
    out.push_back(RetrievedEcg{index.report(hit.index), std::vector<float>(f.begin(), f.end())});
  }
  return out;
}

bool IsDegenerateFeatureVector(absl::Span<const float> features) {
  if (features.empty()) return false;
  size_t near_zero = 0;
  double magnitude = 0;
  for (float v : features) {
    near_zero += std::fabs(v) < 1e-3f ? 1 : 0;
    magnitude += std::fabs(static_cast<double>(v));
  }
  return static_cast<double>(near_zero) / static_cast<double>(features.size()) > 0.5 || magnitude < 0.5;
}

std::string FormatFeatureValue(double v) {
  // round(v, 6): glibc's printf rounds the exact binary value correctly, as CPython's round does.
  char fixed[400];
  std::snprintf(fixed, sizeof(fixed), "%.6f", v);
  const double r = std::strtod(fixed, nullptr);
  // repr(r): shortest round-trip digits; scientific when the exponent is < -4 or >= 16.
  char sci[64];
  auto res = std::to_chars(sci, sci + sizeof(sci), r, std::chars_format::scientific);
  std::string s(sci, res.ptr);
  const size_t e = s.find('e');
  const int exp = std::atoi(s.c_str() + e + 1);
  std::string sign;
  std::string mant = s.substr(0, e);
  if (mant[0] == '-') {
    sign = "-";
    mant.erase(0, 1);
  }
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  if (exp < -4 || exp >= 16) {
    std::string m = digits.substr(0, 1);
    if (digits.size() > 1) m += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return sign + m + ebuf;
  }
  std::string out;
  if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return sign + out;
}

std::string FormatRetrievedEcgs(const std::vector<RetrievedEcg>& hits, const RagPromptOptions& options) {
  std::vector<const RetrievedEcg*> kept;
  for (const RetrievedEcg& h : hits) {
    if (options.filter_degenerate && IsDegenerateFeatureVector(h.features)) continue;
    kept.push_back(&h);
  }
  if (kept.empty()) return "";
  const bool features = options.include_features;
  std::string out = absl::StrCat("The following is the top ", kept.size(),
                                 features ? " retrieved ECGs and their corresponding features and diagnosis."
                                          : " retrieved ECGs and their corresponding diagnosis.",
                                 " Utilize this information to further enhance your response.\n\n");
  const auto& names = FeatureNames();
  for (size_t i = 0; i < kept.size(); ++i) {
    const RetrievedEcg& h = *kept[i];
    absl::StrAppend(&out, "Retrieved ECG ", i + 1, "\nDiagnosis Information:\n", h.report, "\n\n");
    if (!features || h.features.empty()) continue;
    out += "Feature Information:\n";
    const size_t leads = h.features.size() / kFeaturesPerLead;
    for (size_t l = 0; l < leads; ++l) {
      const char* lead = l < ecg::kStandardLeads.size() ? ecg::kStandardLeads[l] : "?";
      absl::StrAppend(&out, "Lead ", leads == ecg::kStandardLeads.size() ? lead : std::to_string(l + 1).c_str(), "\n");
      for (size_t j = 0; j < kFeaturesPerLead; ++j) {
        absl::StrAppend(&out, names[j], ": ", FormatFeatureValue(h.features[l * kFeaturesPerLead + j]), "\n");
      }
    }
    out += "\n";
  }
  return out;
}

void InsertRagText(RagPromptMode mode, std::string_view rag_text, std::string& system_prompt,
                   std::string& user_query) {
  while (!rag_text.empty() && (rag_text.back() == '\n' || rag_text.back() == ' ')) rag_text.remove_suffix(1);
  if (rag_text.empty()) return;
  std::string& target = mode == RagPromptMode::kSystemPrompt ? system_prompt : user_query;
  if (!target.empty()) target += "\n\n";
  target.append(rag_text.data(), rag_text.size());
}

}  // namespace ecgbench::common::rag
