// The stage kinds this worker binary ships, registered in one place (today: "probe"; the ML stages
// arrive with later issues). Torch-free header.
#pragma once

#include "absl/status/status.h"
#include "worker/agent/stage_registry.h"

namespace ecgbench::worker {

// Errors: ALREADY_EXISTS when a kind is registered already.
absl::Status RegisterBuiltinStages(StageRegistry& registry);

}  // namespace ecgbench::worker
