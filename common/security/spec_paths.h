// The path-valued fields of an experiment spec, and their confinement by a PathPolicy
// (common/security/path_policy.h) on both sides of the cluster: the coordinator checks a plan at
// submit and makes its relative paths absolute; a worker checks one assignment's stage parameters
// before the stage runs. The spec library itself knows nothing of policies.
//
// Fields are named as in the spec (docs/spec.md) and found under the same keys in the stage
// parameters (StagePlan.params, Assignment.params_json; common/spec/spec_json.h). Every run of a
// matrix has its own stage parameters, so a matrix value that sets a path is checked in its run.
// Thread-safe (stateless functions).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/security/path_policy.h"
#include "common/spec/plan.h"
#include "common/spec/spec.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common {

// Every path-valued field of ExperimentSpec (a field added to spec.h that names a file or a folder
// must be added here).
inline constexpr std::array<absl::string_view, 8> kSpecPathFields = {
    "data.root",
    "data.mapped_root",
    "representation.encoder.path",
    "representation.encoder.text_encoder",
    "representation.ecg_byte.tokenizer",
    "model.llm.path",
    "evaluate.bertscore.path",
    "evaluate.judge.path",
};

struct SpecPath {
  std::string field;  // e.g. "model.llm.path"
  std::string value;  // as written in the spec
};

// The set (non-empty) path fields of one matrix-free spec, in kSpecPathFields order.
std::vector<SpecPath> SpecPaths(const ExperimentSpec& spec);

// The path fields present (as non-empty strings) in one stage's parameters, in kSpecPathFields order.
std::vector<SpecPath> StageParamsPaths(const nlohmann::json& params);

// Coordinator: PathPolicy::CheckLexical on every path field of every stage of every run, and on
// success each path is replaced by the normalized absolute path the check returns (so workers get
// "/data/ptb-xl" for a spec's "ptb-xl"). Unconfined: OK, nothing changes.
// Errors: every distinct problem, one per line (at most 20, then "... and N more"), with the code
// of the first (INVALID_ARGUMENT or PERMISSION_DENIED); `plan` may then be partly rewritten.
absl::Status ConfinePlanPaths(const PathPolicy& policy, ExperimentPlan* plan);

// Worker: PathPolicy::CheckResolved on every path field of one stage's parameters (JSON text; ""
// has none). Errors as for ConfinePlanPaths; INVALID_ARGUMENT when `params_json` is not JSON.
absl::Status CheckStageParamsPaths(const PathPolicy& policy, absl::string_view params_json);

}  // namespace ecgbench::common
