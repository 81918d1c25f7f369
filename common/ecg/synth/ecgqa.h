// ECG-QA-style questions about synthetic records (internal to common/ecg/synth), in the format of
// ECG-QA (Oh et al. 2023, github.com/Jwoo5/ecg-qa): template_id, question_id, sample_id,
// question_type (single-verify / single-choose / single-query), attribute_type, question, answer
// (list), ecg_id (list), attribute (list) and, as after ECG-QA's mapping scripts, ecg_path.
// Answers follow from the record's ground truth; template ids number this generator's own
// templates (they are not ECG-QA's 70 template ids).
#pragma once

#include <string>
#include <vector>

#include "common/ecg/synth/generator.h"
#include "common/ecg/synth/rng.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg::synth_internal {

struct QaQuestion {
  int template_id = 0;
  std::string question_type;   // "single-verify", "single-choose", "single-query"
  std::string attribute_type;  // "scp_code", "extra_systole", "numeric_feature"
  std::string question;
  std::vector<std::string> answer;
  std::vector<std::string> attribute;
};

// Five questions per record: two verify (one answered "yes", one "no", so yes/no stay balanced),
// one choose (the rhythm against another rhythm), the rhythm query and one more query (conduction,
// extra systoles, ST-elevated leads or heart rate range) picked by `rng`.
std::vector<QaQuestion> QuestionsFor(const SynthMeta& meta, Rng& rng);

// One ECG-QA sample. ecg_id is numeric in ECG-QA (PTB-XL ecg_id, MIMIC study_id, CODE-15 exam_id).
nlohmann::ordered_json QaSampleJson(const QaQuestion& q, int question_id, int64_t sample_id, int64_t ecg_id,
                            const std::string& ecg_path);

// answers_for_each_template.csv: "template_id,classes" with the possible answers of each template.
std::string AnswersForEachTemplateCsv();

}  // namespace ecgbench::common::ecg::synth_internal
