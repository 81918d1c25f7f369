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
  // Questions with the same non-empty key are balanced against each other by BalanceQuestions:
  // "verify:<finding>" and "choose:<first option>|<second option>". Empty: always kept.
  std::string balance_key;
};

// The candidate questions of one record: a verify question for every finding the record settles
// (present or definitely absent), a choose question for its rhythm against each other rhythm (the
// order of the two options drawn by `rng`), the rhythm query, and one more query (conduction,
// extra systoles, ST-elevated leads or heart rate range) picked by `rng`. The verify and choose
// candidates are far more than a data set asks: BalanceQuestions picks among them.
std::vector<QaQuestion> QuestionsFor(const SynthMeta& meta, Rng& rng);

// Which candidates to keep so that the text of a verify or choose question says nothing about its
// answer: within each balance_key every answer is kept equally often (the smallest answer's count,
// at most `per_answer_cap` for choose keys), the kept ones drawn by `rng`. Questions without a key
// are all kept. Returns one flag per question. With balanced classes this keeps about two verify
// questions per record (see docs/synthetic.md).
std::vector<bool> BalanceQuestions(const std::vector<const QaQuestion*>& questions, int per_answer_cap, Rng& rng);

// One ECG-QA sample. ecg_id is numeric in ECG-QA (PTB-XL ecg_id, MIMIC study_id, CODE-15 exam_id).
nlohmann::ordered_json QaSampleJson(const QaQuestion& q, int question_id, int64_t sample_id, int64_t ecg_id,
                            const std::string& ecg_path);

// answers_for_each_template.csv: "template_id,classes" with the possible answers of each template.
std::string AnswersForEachTemplateCsv();

}  // namespace ecgbench::common::ecg::synth_internal
