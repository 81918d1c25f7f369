// Registration of the built-in stage kinds; every LibTorch runner is wrapped by the torch guard.
#include "worker/stages/builtin_stages.h"

#include <memory>

#include "worker/stages/probe_runner.h"
#include "worker/stages/torch_guard.h"

namespace ecgbench::worker {

absl::Status RegisterBuiltinStages(StageRegistry& registry, const BuiltinStageOptions& options) {
  absl::Status st =
      registry.Register("probe", [] { return GuardTorchExceptions(std::make_unique<ProbeRunner>()); });
  if (!st.ok()) return st;
  st = registry.Register("preprocess", [o = options.preprocess] { return std::make_unique<PreprocessRunner>(o); });
  if (!st.ok()) return st;
  return registry.Register("dataset", [o = options.dataset] { return std::make_unique<DatasetRunner>(o); });
}

}  // namespace ecgbench::worker
