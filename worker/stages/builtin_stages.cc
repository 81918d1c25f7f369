// Registration of the built-in stage kinds; every LibTorch runner is wrapped by the torch guard.
#include "worker/stages/builtin_stages.h"

#include <memory>

#include "worker/stages/probe_runner.h"
#include "worker/stages/torch_guard.h"

namespace ecgbench::worker {

absl::Status RegisterBuiltinStages(StageRegistry& registry) {
  return registry.Register(
      "probe", [] { return GuardTorchExceptions(std::make_unique<ProbeRunner>()); });
}

}  // namespace ecgbench::worker
