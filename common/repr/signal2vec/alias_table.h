// Walker/Vose alias table: O(1) draws from a fixed discrete distribution (Signal2Vec's negative
// sampler over token counts^0.75). Built once (O(n)), then immutable: Draw is thread-safe as long as
// each thread brings its own DetRandom. Outcomes with weight 0 are never drawn.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/util/det_random.h"

namespace ecgbench::common::repr {

class AliasTable {
 public:
  // `weights[i]` >= 0 and finite, at least one > 0; the probability of i is weights[i] / sum.
  // InvalidArgument otherwise ("alias table: weight 3 is -1 (must be finite and >= 0)").
  static absl::StatusOr<AliasTable> Create(const std::vector<double>& weights);

  // One outcome in [0, weights.size()): two draws from `rng` (a column, then a coin).
  int32_t Draw(DetRandom& rng) const {
    const uint64_t column = rng.UniformInt(prob_.size());
    return rng.Uniform() < prob_[column] ? outcome_[column] : alias_[column];
  }

  // Probability of outcome i implied by the table (for tests; O(n)).
  std::vector<double> Probabilities() const;

  int32_t num_outcomes() const { return num_outcomes_; }

 private:
  AliasTable() = default;

  // Columns cover only the outcomes with weight > 0: column k is outcome_[k] with probability
  // prob_[k], else alias_[k].
  std::vector<double> prob_;
  std::vector<int32_t> outcome_;
  std::vector<int32_t> alias_;
  int32_t num_outcomes_ = 0;
};

}  // namespace ecgbench::common::repr
