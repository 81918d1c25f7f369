// ECG-QA-style questions with answers from the ground truth (see ecgqa.h).
#include "common/ecg/synth/ecgqa.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/ecg/core/leads.h"

namespace ecgbench::common::ecg::synth_internal {
namespace {

enum class Truth { kYes, kNo, kUnknown };

constexpr const char* kSinus = "sinus rhythm";
constexpr const char* kBrady = "sinus bradycardia";
constexpr const char* kTachy = "sinus tachycardia";
constexpr const char* kAfib = "atrial fibrillation";
constexpr const char* kAvb1 = "first degree av block";
constexpr const char* kRbbb = "complete right bundle branch block";
constexpr const char* kLbbb = "complete left bundle branch block";
constexpr const char* kSte = "st elevation";
constexpr const char* kPvc = "premature ventricular complexes";
const std::vector<std::string>& Findings() {
  static const std::vector<std::string> kAll = {kSinus, kBrady, kTachy, kAfib, kAvb1, kRbbb, kLbbb, kSte, kPvc};
  return kAll;
}

// Whether `finding` is present; kUnknown where the class does not settle it (e.g. ST elevation
// in bundle-branch block, which has secondary ST changes), so no question is asked about it.
Truth FindingTruth(const SynthMeta& m, const std::string& finding) {
  const EcgClass c = m.ecg_class;
  auto yes_if = [](bool b) { return b ? Truth::kYes : Truth::kNo; };
  if (finding == kSinus) {
    if (c == EcgClass::kSinusBradycardia || c == EcgClass::kSinusTachycardia) return Truth::kUnknown;
    return yes_if(c != EcgClass::kAtrialFibrillation);
  }
  if (finding == kBrady) {
    if (c == EcgClass::kSinusBradycardia) return Truth::kYes;
    return (c == EcgClass::kAtrialFibrillation || m.heart_rate_bpm >= 60) ? Truth::kNo : Truth::kUnknown;
  }
  if (finding == kTachy) {
    if (c == EcgClass::kSinusTachycardia) return Truth::kYes;
    return (c == EcgClass::kAtrialFibrillation || m.heart_rate_bpm <= 100) ? Truth::kNo : Truth::kUnknown;
  }
  if (finding == kAfib) return yes_if(c == EcgClass::kAtrialFibrillation);
  if (finding == kAvb1) {
    return c == EcgClass::kAtrialFibrillation ? Truth::kUnknown : yes_if(c == EcgClass::kFirstDegreeAvBlock);
  }
  if (finding == kRbbb) return yes_if(m.bbb_type == BbbType::kRight);
  if (finding == kLbbb) return yes_if(m.bbb_type == BbbType::kLeft);
  if (finding == kSte) {
    return c == EcgClass::kBundleBranchBlock ? Truth::kUnknown : yes_if(c == EcgClass::kStElevation);
  }
  if (finding == kPvc) return yes_if(c == EcgClass::kPrematureVentricular);
  return Truth::kUnknown;
}

std::string Rhythm(const SynthMeta& m) {
  switch (m.ecg_class) {
    case EcgClass::kSinusBradycardia: return kBrady;
    case EcgClass::kSinusTachycardia: return kTachy;
    case EcgClass::kAtrialFibrillation: return kAfib;
    default: return kSinus;
  }
}

QaQuestion Verify(const std::string& finding, const char* answer) {
  return {1, "single-verify", "scp_code", absl::StrCat("Does this ECG show ", finding, "?"), {answer}, {finding},
          absl::StrCat("verify:", finding)};
}

QaQuestion Query(int template_id, const char* attribute_type, std::string question, std::vector<std::string> answer,
                 std::vector<std::string> attribute) {
  return {template_id, "single-query", attribute_type, std::move(question), std::move(answer), std::move(attribute), ""};
}

}  // namespace

std::vector<QaQuestion> QuestionsFor(const SynthMeta& m, Rng& rng) {
  std::vector<QaQuestion> out;
  for (const std::string& finding : Findings()) {
    const Truth truth = FindingTruth(m, finding);
    if (truth != Truth::kUnknown) out.push_back(Verify(finding, truth == Truth::kYes ? "yes" : "no"));
  }

  const std::string rhythm = Rhythm(m);
  // Against each other rhythm. "Sinus rhythm or sinus bradycardia" has one right answer for a
  // bradycardic record (the specific rhythm), although "does it show sinus rhythm?" has none.
  for (const char* other : {kSinus, kBrady, kTachy, kAfib}) {
    if (rhythm == other) continue;
    const bool rhythm_first = rng.Bernoulli(0.5);
    const std::string a = rhythm_first ? rhythm : other;
    const std::string b = rhythm_first ? other : rhythm;
    out.push_back({2, "single-choose", "scp_code",
                   absl::StrCat("Which rhythm does this ECG show, ", a, " or ", b, "?"), {rhythm}, {a, b},
                   absl::StrCat("choose:", a, "|", b)});
  }
  out.push_back(Query(3, "scp_code", "What is the rhythm of this ECG?", {rhythm}, {rhythm}));

  std::vector<int> extra = {4, 5, 7};
  if (FindingTruth(m, kSte) != Truth::kUnknown) extra.push_back(6);
  std::sort(extra.begin(), extra.end());
  const int which = rng.Pick(extra);
  if (which == 4) {
    std::string conduction = "none";
    if (m.ecg_class == EcgClass::kFirstDegreeAvBlock) conduction = kAvb1;
    if (m.bbb_type == BbbType::kRight) conduction = kRbbb;
    if (m.bbb_type == BbbType::kLeft) conduction = kLbbb;
    out.push_back(Query(4, "scp_code", "Which conduction disturbance does this ECG show?", {conduction},
                   {conduction}));
  } else if (which == 5) {
    const std::string es = m.num_premature > 0 ? kPvc : "none";
    out.push_back(Query(5, "extra_systole", "Which extra systoles does this ECG show?", {es}, {es}));
  } else if (which == 6) {
    std::vector<std::string> leads;
    for (int l : m.st_leads) leads.push_back(absl::StrCat("lead ", kStandardLeads[l]));
    if (leads.empty()) leads.push_back("none");
    out.push_back(Query(6, "scp_code", "In which leads does this ECG show st elevation?", leads, leads));
  } else {
    const char* range = m.heart_rate_bpm < 60    ? "below the normal range"
                        : m.heart_rate_bpm > 100 ? "above the normal range"
                                                 : "within the normal range";
    out.push_back(Query(7, "numeric_feature",
                   "Is the heart rate of this ECG below, within or above the normal range?", {range}, {"heart rate"}));
  }
  return out;
}

std::vector<bool> BalanceQuestions(const std::vector<const QaQuestion*>& questions, int per_answer_cap, Rng& rng) {
  std::vector<bool> keep(questions.size(), false);
  // key -> answer -> indices, in the (deterministic) order of the questions.
  std::map<std::string, std::map<std::string, std::vector<size_t>>> groups;
  for (size_t i = 0; i < questions.size(); ++i) {
    const QaQuestion& q = *questions[i];
    if (q.balance_key.empty()) {
      keep[i] = true;
    } else {
      groups[q.balance_key][q.answer.at(0)].push_back(i);
    }
  }
  for (auto& [key, by_answer] : groups) {
    size_t n = by_answer.size() < 2 ? 0 : SIZE_MAX;  // one answer only: the text would give it away
    for (const auto& [answer, indices] : by_answer) n = std::min(n, indices.size());
    if (absl::StartsWith(key, "choose:")) n = std::min(n, static_cast<size_t>(std::max(per_answer_cap, 0)));
    for (auto& [answer, indices] : by_answer) {
      rng.Shuffle(indices);
      for (size_t j = 0; j < n; ++j) keep[indices[j]] = true;
    }
  }
  return keep;
}

nlohmann::ordered_json QaSampleJson(const QaQuestion& q, int question_id, int64_t sample_id, int64_t ecg_id,
                                    const std::string& ecg_path) {
  nlohmann::ordered_json j;
  j["template_id"] = q.template_id;
  j["question_id"] = question_id;
  j["sample_id"] = sample_id;
  j["question_type"] = q.question_type;
  j["attribute_type"] = q.attribute_type;
  j["question"] = q.question;
  j["answer"] = q.answer;
  j["ecg_id"] = nlohmann::ordered_json::array({ecg_id});
  j["attribute"] = q.attribute;
  j["ecg_path"] = nlohmann::ordered_json::array({ecg_path});
  return j;
}

std::string AnswersForEachTemplateCsv() {
  // Python list literals, sorted as in ECG-QA's file.
  auto py_list = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return absl::StrCat("\"[", absl::StrJoin(v, ", ", [](std::string* out, const std::string& s) {
                          absl::StrAppend(out, "'", s, "'");
                        }),
                        "]\"");
  };
  const std::vector<std::string> rhythms = {kAfib, kSinus, kBrady, kTachy};
  std::string csv = "template_id,classes\n";
  absl::StrAppend(&csv, "1,", py_list({"no", "yes"}), "\n");
  absl::StrAppend(&csv, "2,", py_list(rhythms), "\n");
  absl::StrAppend(&csv, "3,", py_list(rhythms), "\n");
  absl::StrAppend(&csv, "4,", py_list({kRbbb, kLbbb, kAvb1, "none"}), "\n");
  absl::StrAppend(&csv, "5,", py_list({"none", kPvc}), "\n");
  std::vector<std::string> leads;
  for (const char* l : kStandardLeads) leads.push_back(absl::StrCat("lead ", l));
  leads.push_back("none");
  absl::StrAppend(&csv, "6,", py_list(leads), "\n");
  absl::StrAppend(&csv, "7,", py_list({"above the normal range", "below the normal range", "within the normal range"}),
                  "\n");
  return csv;
}

}  // namespace ecgbench::common::ecg::synth_internal
