// The worker's confinement of spec paths (--data-root): a runner wrapper that, before the stage
// runs, checks every path field of the assignment's stage parameters against the worker's
// PathPolicy with symbolic links resolved (common/security/spec_paths.h). A path outside the roots
// fails the task with the field and the reason, e.g.
//   PERMISSION_DENIED: data.root: /data/link resolves to /etc, outside the allowed roots (/data)
// and the wrapped runner never runs. Paths the stage derives later (files under a checked folder)
// are not checked again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/security/path_policy.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

// The worker's policy: `data_roots` (--data-root) and the worker's own `artifact_root` (made absolute
// against the working directory), which is always allowed. Null when `data_roots` is empty: the
// worker then checks nothing. Errors: INVALID_ARGUMENT "--data-root: <reason>".
absl::StatusOr<std::shared_ptr<const common::PathPolicy>> WorkerPathPolicy(
    const std::vector<std::string>& data_roots, const std::string& artifact_root);

// `policy` is shared by every runner of the worker (immutable). Null or unconfined: `runner` itself.
std::unique_ptr<StageRunner> ConfineSpecPaths(std::shared_ptr<const common::PathPolicy> policy,
                                              std::unique_ptr<StageRunner> runner);

}  // namespace ecgbench::worker
