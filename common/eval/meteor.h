// METEOR with the semantics of NLTK 3.8's nltk.translate.meteor_score (single_meteor_score):
// tokens lowercased (str.lower), then aligned in three stages - exact words, Porter stems
// (porter_stemmer.h), WordNet synonyms of the stems (wordnet.h) - each stage matching every
// remaining hypothesis word, last to first, to the last remaining reference word that fits;
// then Fmean = P*R / (alpha*P + (1-alpha)*R), penalty = gamma * (chunks/matches)^beta and
// score = (1 - penalty) * Fmean, 0 when nothing matches or either side is empty.
// docs/evaluation-meteor.md describes the details and the cross-check against NLTK.
// Thread-safety: immutable after Load; Score may run concurrently from any number of threads.
// Each thread reuses its own scratch buffers and a memo of the synonyms of up to 65,536 distinct
// hypothesis stems (then cleared), so Score allocates nothing in steady state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/eval/wordnet.h"

namespace ecgbench::common::eval {

struct MeteorParams {
  double alpha = 0.9;  // weight of precision vs recall in Fmean
  double beta = 3.0;   // shape of the fragmentation penalty
  double gamma = 0.5;  // weight of the fragmentation penalty
};

class Meteor {
 public:
  // Loads WordNet from `wordnet_dir` (Debian: /usr/share/wordnet). Errors are WordNet::Load's.
  static absl::StatusOr<Meteor> Load(const std::string& wordnet_dir, MeteorParams params = {});

  // NLTK's single_meteor_score(reference, hypothesis) on pre-tokenized text, in [0, 1].
  double Score(const std::vector<std::string_view>& reference,
               const std::vector<std::string_view>& hypothesis) const;

  // NLTK's meteor_score(references, hypothesis): the best score over the references (0 if none).
  double ScoreMulti(const std::vector<std::vector<std::string_view>>& references,
                    const std::vector<std::string_view>& hypothesis) const;

  const WordNet& wordnet() const { return wordnet_; }

  // Per-thread scratch buffers of Score; opaque, defined in meteor.cc.
  struct Workspace;

 private:
  Meteor(WordNet wordnet, MeteorParams params);
  // Sorted ids of the '_'-free lemma names of wordnet.synsets(stem), memoised in the calling
  // thread's workspace (meteor.cc) for this instance.
  std::pair<const uint32_t*, const uint32_t*> SynonymIds(std::string_view stem, Workspace& ws) const;

  WordNet wordnet_;
  MeteorParams params_;
  uint64_t id_;  // distinguishes instances in the per-thread memo
};

// Appends Python's str.lower() of UTF-8 `text` to *out. Covers ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic capitals (one-to-one mappings); other code points are copied unchanged
// (Python also lowers a few rarer scripts and maps U+0130 to two code points).
void AppendLowercaseUtf8(std::string_view text, std::string* out);

}  // namespace ecgbench::common::eval
