// The scorer (scorer.h): per-pair metrics computed on worker threads into arrays, then reduced in
// input order so the result does not depend on the thread count (ROUGE averages are the package's
// sequential sums, the other means pairwise sums as numpy's np.mean).
#include "common/eval/scorer.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/eval/accuracy.h"
#include "common/eval/bleu.h"
#include "common/eval/rouge.h"
#include "common/eval/text_normalize.h"

namespace ecgbench::common::eval {

namespace {

// Per-pair results, one array entry per prediction.
struct PairResults {
  std::vector<double> bleu_sent, meteor, f1;
  std::vector<RougeScores> rouge;
  std::vector<uint8_t> correct, exact, empty;
  std::vector<BleuStats> bleu_partials;  // one per chunk (integer sums: order does not matter)
};

// Pairwise summation (numpy's scheme: blocks of up to 8 partial sums below 128 values, halves above).
double PairwiseSum(const double* v, size_t n) {
  if (n < 8) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += v[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = v[k];
    size_t i = 8;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) r[k] += v[i + k];
    }
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += v[i];
    return s;
  }
  size_t half = n / 2;
  half -= half % 8;
  return PairwiseSum(v, half) + PairwiseSum(v + half, n - half);
}

double Mean(const std::vector<double>& v) { return v.empty() ? 0.0 : PairwiseSum(v.data(), v.size()) / v.size(); }

struct Flags {
  bool bleu, rouge, meteor, accuracy, f1;
};

// Scores predictions[begin, end) into *out; `chunk` indexes out->bleu_partials.
void ScoreRange(const std::vector<const Prediction*>& predictions, size_t begin, size_t end, size_t chunk,
                const Flags& flags, const Meteor* meteor, PairResults* out) {
  NgramCounter counter;
  RougeScorer rouge;
  AnswerScorer answers;
  std::vector<std::string_view> ref_tokens, hyp_tokens;
  BleuStats corpus;
  for (size_t i = begin; i < end; ++i) {
    const Prediction& p = *predictions[i];
    const std::string_view ref = StripPython(p.reference);
    const std::string_view hyp = StripPython(p.prediction);
    out->empty[i] = hyp.empty();
    if (flags.bleu || flags.meteor) {
      ref_tokens.clear();
      hyp_tokens.clear();
      SplitPython(ref, &ref_tokens);
      SplitPython(hyp, &hyp_tokens);
    }
    if (flags.bleu) {
      counter.Count(ref_tokens, hyp_tokens, kMaxBleuOrder);
      const BleuStats stats = StatsFromCounter(counter, kMaxBleuOrder);
      corpus.Add(stats);
      out->bleu_sent[i] = EffectiveOrderSentenceBleu(stats);
    }
    if (flags.rouge) out->rouge[i] = hyp.empty() ? RougeScores{} : rouge.Score(ref, hyp);
    if (flags.meteor) out->meteor[i] = hyp_tokens.empty() ? 0.0 : meteor->Score(ref_tokens, hyp_tokens);
    if (flags.accuracy) {
      out->correct[i] = NormalizedMatch(ref, hyp);
      out->exact[i] = ExactMatch(ref, hyp);
    }
    if (flags.f1) out->f1[i] = answers.F1(ref, p.answers, hyp);
  }
  if (flags.bleu) out->bleu_partials[chunk] = corpus;
}

}  // namespace

std::vector<std::string> ParseMetricList(const std::string& list) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    if (item == "all") {
      for (const char* g : kMetricGroups) out.emplace_back(g);
    } else {
      out.emplace_back(item);
    }
  }
  return out;
}

absl::StatusOr<Scorer> Scorer::Create(const ScoreOptions& options) {
  Scorer s;
  std::vector<std::string> groups = options.metrics;
  if (groups.empty()) groups.assign(std::begin(kMetricGroups), std::end(kMetricGroups));
  for (const std::string& g : groups) {
    if (g == "bleu") {
      s.bleu_ = true;
    } else if (g == "rouge") {
      s.rouge_ = true;
    } else if (g == "meteor") {
      s.meteor_ = true;
    } else if (g == "accuracy") {
      s.accuracy_ = true;
    } else if (g == "f1") {
      s.f1_ = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown metric \"", g, "\" (known: ",
                                                     absl::StrJoin(kMetricGroups, ", "), ", all)"));
    }
  }
  s.threads_ = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (s.meteor_) {
    absl::StatusOr<Meteor> meteor = Meteor::Load(options.wordnet_dir);
    if (!meteor.ok()) return meteor.status();
    s.meteor_model_.emplace(std::move(*meteor));
  }
  return s;
}

absl::StatusOr<std::map<std::string, double>> Scorer::Score(const std::vector<Prediction>& predictions) const {
  std::vector<const Prediction*> views;
  views.reserve(predictions.size());
  for (const Prediction& p : predictions) views.push_back(&p);
  return ScoreViews(views);
}

// The pairs are read through pointers, so scoring a subset (one condition) copies no text.
absl::StatusOr<std::map<std::string, double>> Scorer::ScoreViews(const std::vector<const Prediction*>& predictions) const {
  const size_t n = predictions.size();
  if (n == 0) return absl::InvalidArgumentError("no predictions to score");
  for (const Prediction* view : predictions) {
    const Prediction& p = *view;
    if (StripPython(p.reference).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("prediction \"", p.id, "\" (turn ", p.turn,
                                                     p.line > 0 ? absl::StrCat(", line ", p.line) : "",
                                                     "): empty reference"));
    }
  }
  const Flags flags{bleu_, rouge_, meteor_, accuracy_, f1_};
  PairResults r;
  r.empty.resize(n);
  if (bleu_) r.bleu_sent.resize(n);
  if (rouge_) r.rouge.resize(n);
  if (meteor_) r.meteor.resize(n);
  if (accuracy_) {
    r.correct.resize(n);
    r.exact.resize(n);
  }
  if (f1_) r.f1.resize(n);

  // Contiguous chunks of at least 256 pairs, one per thread.
  const size_t chunks = std::max<size_t>(1, std::min<size_t>(threads_, n / 256));
  r.bleu_partials.resize(chunks);
  const Meteor* meteor = meteor_model_ ? &*meteor_model_ : nullptr;
  std::vector<std::thread> workers;
  for (size_t c = 1; c < chunks; ++c) {
    workers.emplace_back(ScoreRange, std::cref(predictions), n * c / chunks, n * (c + 1) / chunks, c, std::cref(flags),
                         meteor, &r);
  }
  ScoreRange(predictions, 0, n / chunks, 0, flags, meteor, &r);
  for (std::thread& t : workers) t.join();

  std::map<std::string, double> out;
  out["n"] = static_cast<double>(n);
  int64_t empty = 0;
  for (const uint8_t e : r.empty) empty += e;
  out["n_empty"] = static_cast<double>(empty);
  if (bleu_) {
    BleuStats corpus;
    for (const BleuStats& s : r.bleu_partials) corpus.Add(s);
    out["bleu"] = BleuFromStats(corpus, kMaxBleuOrder);
    out["bleu_sent"] = Mean(r.bleu_sent);
  }
  if (rouge_) {
    // The package's _get_avg_scores: a running sum in input order, divided by the count.
    double s1 = 0.0, s2 = 0.0, sl = 0.0;
    for (const RougeScores& s : r.rouge) {
      s1 += s.rouge1.f;
      s2 += s.rouge2.f;
      sl += s.rougeL.f;
    }
    out["rouge1"] = s1 / n;
    out["rouge2"] = s2 / n;
    out["rougeL"] = sl / n;
  }
  if (meteor_) out["meteor"] = Mean(r.meteor);
  if (accuracy_ || f1_) {
    // Per question type: counts of correct answers and F1 values, in input order.
    std::map<std::string, std::pair<int64_t, int64_t>> correct_by_type;  // (correct, total)
    std::map<std::string, std::vector<double>> f1_by_type;
    int64_t correct = 0, exact = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string& type = predictions[i]->question_type;
      if (accuracy_) {
        correct += r.correct[i];
        exact += r.exact[i];
        if (!type.empty()) {
          auto& c = correct_by_type[type];
          c.first += r.correct[i];
          ++c.second;
        }
      }
      if (f1_ && !type.empty()) f1_by_type[type].push_back(r.f1[i]);
    }
    if (accuracy_) {
      out["accuracy"] = static_cast<double>(correct) / n;
      out["exact_match"] = static_cast<double>(exact) / n;
      for (const auto& [type, c] : correct_by_type) {
        out[absl::StrCat("accuracy/", type)] = static_cast<double>(c.first) / c.second;
      }
    }
    if (f1_) {
      out["f1"] = Mean(r.f1);
      for (const auto& [type, v] : f1_by_type) out[absl::StrCat("f1/", type)] = Mean(v);
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::map<std::string, double>>> Scorer::ScoreByCondition(
    const std::vector<Prediction>& predictions) const {
  std::map<std::string, std::vector<const Prediction*>> groups;
  for (const Prediction& p : predictions) groups[p.condition].push_back(&p);
  std::map<std::string, std::map<std::string, double>> out;
  for (const auto& [condition, group] : groups) {
    absl::StatusOr<std::map<std::string, double>> scores = ScoreViews(group);
    if (!scores.ok()) return scores.status();
    out[condition] = std::move(*scores);
  }
  return out;
}

absl::StatusOr<std::map<std::string, double>> ScorePredictions(const std::vector<Prediction>& predictions,
                                                               const ScoreOptions& options) {
  absl::StatusOr<Scorer> scorer = Scorer::Create(options);
  if (!scorer.ok()) return scorer.status();
  return scorer->Score(predictions);
}

}  // namespace ecgbench::common::eval
