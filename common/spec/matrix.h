// Matrix expansion: `matrix:` maps dotted key paths to lists of values; every combination (the
// cartesian product, first key varying slowest) is one run. A value is substituted into a copy of
// the spec tree, marked so that errors inside it name the matrix entry, e.g.
//   matrix.representation[1].kind: expected one of ..., got "sig" (spec.yaml:23)
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/spec/diagnostics.h"
#include "common/spec/spec_node.h"

namespace ecgbench::common {

inline constexpr size_t kMaxMatrixRuns = 1000;
// Bound on the work of an expansion: runs x values of one run's spec tree.
inline constexpr size_t kMaxExpandedValues = 5000000;

struct MatrixAxis {
  std::string key;                  // as written, e.g. "fold"
  std::vector<std::string> target;  // canonical path segments, e.g. {"data", "fold"}
  int line = 1;                     // line of the key
  std::vector<SpecNode> values;     // path_override = "matrix.<key>[i]"
  std::vector<std::string> labels;  // short value text for run names, unique per axis
};

// Reads the `matrix` value (`line`: its key's line) against the spec `root` (without matrix).
// Invalid axes are reported to `diag` and dropped; the valid ones are returned in written order.
std::vector<MatrixAxis> ParseMatrix(const SpecNode& matrix, int line, const SpecNode& root,
                                    Diagnostics* diag);

// Number of runs (product of the axis sizes), saturating at kMaxMatrixRuns + 1.
size_t CountRuns(const std::vector<MatrixAxis>& axes);

// The value index of each axis for run `run_index` (the last axis varies fastest).
std::vector<size_t> Combination(const std::vector<MatrixAxis>& axes, size_t run_index);

// A copy of `root` with each axis' chosen value substituted. Structural problems (a path through a
// non-mapping) are reported to `diag` and that axis is skipped.
SpecNode Substitute(const SpecNode& root, const std::vector<MatrixAxis>& axes,
                    const std::vector<size_t>& choice, Diagnostics* diag);

// "key=label" pairs of a combination and the run name ("k1=v1,k2=v2").
std::vector<std::pair<std::string, std::string>> Variant(const std::vector<MatrixAxis>& axes,
                                                         const std::vector<size_t>& choice);
std::string RunName(const std::vector<std::pair<std::string, std::string>>& variant);

}  // namespace ecgbench::common
