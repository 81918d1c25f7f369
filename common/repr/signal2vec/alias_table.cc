// Vose's alias method over the outcomes with positive weight.
#include "common/repr/signal2vec/alias_table.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::repr {

absl::StatusOr<AliasTable> AliasTable::Create(const std::vector<double>& weights) {
  if (weights.empty()) return absl::InvalidArgumentError("alias table: no outcomes");
  if (weights.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("alias table: too many outcomes");
  }
  double sum = 0.0;
  std::vector<int32_t> support;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (!std::isfinite(w) || w < 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("alias table: weight ", i, " is ", w, " (must be finite and >= 0)"));
    }
    if (w > 0.0) {
      support.push_back(static_cast<int32_t>(i));
      sum += w;
    }
  }
  if (support.empty() || !std::isfinite(sum)) {
    return absl::InvalidArgumentError("alias table: the weights must have a positive, finite sum");
  }

  AliasTable table;
  table.num_outcomes_ = static_cast<int32_t>(weights.size());
  const size_t m = support.size();
  table.prob_.resize(m);
  table.outcome_ = support;
  table.alias_ = support;
  std::vector<double> scaled(m);
  std::vector<uint32_t> small;
  std::vector<uint32_t> large;
  small.reserve(m);
  large.reserve(m);
  for (size_t k = 0; k < m; ++k) {
    scaled[k] = weights[support[k]] / sum * static_cast<double>(m);
    (scaled[k] < 1.0 ? small : large).push_back(static_cast<uint32_t>(k));
  }
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    large.pop_back();
    table.prob_[s] = scaled[s];
    table.alias_[s] = support[l];
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    (scaled[l] < 1.0 ? small : large).push_back(l);
  }
  // What is left is 1 up to rounding: those columns always keep their own outcome.
  for (uint32_t k : large) table.prob_[k] = 1.0;
  for (uint32_t k : small) table.prob_[k] = 1.0;
  return table;
}

std::vector<double> AliasTable::Probabilities() const {
  std::vector<double> p(num_outcomes_, 0.0);
  const double column = 1.0 / static_cast<double>(prob_.size());
  for (size_t k = 0; k < prob_.size(); ++k) {
    p[outcome_[k]] += column * prob_[k];
    p[alias_[k]] += column * (1.0 - prob_[k]);
  }
  return p;
}

}  // namespace ecgbench::common::repr
