// Scores a list of predictions with the requested metric groups (docs/evaluation-metrics.md):
//   bleu      -> "bleu" (NLTK corpus_bleu, BLEU-4, method1) and "bleu_sent" (upstream's BLEU_sent:
//                mean sentence BLEU of order min(4, |ref|, |hyp|))
//   rouge     -> "rouge1", "rouge2", "rougeL" (`rouge` 1.0.1 F-scores averaged over the pairs)
//   meteor    -> "meteor" (mean NLTK meteor_score, WordNet from ScoreOptions::wordnet_dir)
//   accuracy  -> "accuracy" (normalized exact match), "exact_match" (upstream's ACC: equality after
//                strip) and "accuracy/<question_type>" for every non-empty question type
//   f1        -> "f1" (mean answer F1) and "f1/<question_type>"
// and always "n" (pairs scored) and "n_empty" (empty predictions among them). Values other than
// the counts are in [0, 1]. Texts are tokenized as upstream: Python str.split() after strip().
// Unlike upstream, which drops pairs with an empty prediction, every pair is scored: an empty
// prediction is wrong and scores 0 (it still counts in BLEU's corpus lengths, as NLTK would).
//
// Thread-safety: a Scorer is immutable after Create; Score may run from several threads at once.
// Score splits the pairs across ScoreOptions::threads threads; results do not depend on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/eval/meteor.h"
#include "common/eval/predictions.h"

namespace ecgbench::common::eval {

// The metric groups, in the order "all" means.
inline constexpr const char* kMetricGroups[] = {"bleu", "rouge", "meteor", "accuracy", "f1"};

struct ScoreOptions {
  std::vector<std::string> metrics;  // metric groups (kMetricGroups); empty = all of them
  std::string wordnet_dir = "/usr/share/wordnet";
  int threads = 0;  // 0 = std::thread::hardware_concurrency()
};

class Scorer {
 public:
  // InvalidArgument for an unknown metric group (the message lists the known ones); WordNet's
  // load errors when meteor is requested.
  static absl::StatusOr<Scorer> Create(const ScoreOptions& options);

  // InvalidArgument when `predictions` is empty or a reference is empty (naming its id and line).
  absl::StatusOr<std::map<std::string, double>> Score(const std::vector<Prediction>& predictions) const;

  // Score of each condition's predictions, keyed by Prediction::condition ("" included).
  absl::StatusOr<std::map<std::string, std::map<std::string, double>>> ScoreByCondition(
      const std::vector<Prediction>& predictions) const;

 private:
  Scorer() = default;
  absl::StatusOr<std::map<std::string, double>> ScoreViews(const std::vector<const Prediction*>& predictions) const;

  bool bleu_ = false, rouge_ = false, meteor_ = false, accuracy_ = false, f1_ = false;
  int threads_ = 0;
  std::optional<Meteor> meteor_model_;
};

// Scorer::Create(options) then Score(predictions).
absl::StatusOr<std::map<std::string, double>> ScorePredictions(const std::vector<Prediction>& predictions,
                                                               const ScoreOptions& options);

// Splits "bleu,rouge" into metric groups (spaces trimmed, empty items dropped). "all" = every group.
std::vector<std::string> ParseMetricList(const std::string& list);

}  // namespace ecgbench::common::eval
