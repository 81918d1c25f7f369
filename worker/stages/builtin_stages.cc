// Registration of the built-in stage kinds; every LibTorch runner is wrapped by the torch guard, and
// with --data-root every runner by the spec-path check (worker/agent/path_guard.h).
#include "worker/stages/builtin_stages.h"

#include <memory>
#include <utility>

#include "worker/agent/path_guard.h"
#include "worker/stages/probe_runner.h"
#include "worker/stages/torch_guard.h"

namespace ecgbench::worker {

absl::Status RegisterBuiltinStages(StageRegistry& registry, const BuiltinStageOptions& options) {
  auto add = [&registry, policy = options.path_policy](const std::string& kind, StageRunnerFactory factory) {
    if (policy == nullptr) return registry.Register(kind, std::move(factory));
    return registry.Register(kind, [policy, factory = std::move(factory)] { return ConfineSpecPaths(policy, factory()); });
  };
  absl::Status st = add("probe", [] { return GuardTorchExceptions(std::make_unique<ProbeRunner>()); });
  if (!st.ok()) return st;
  st = add("preprocess", [o = options.preprocess] { return std::make_unique<PreprocessRunner>(o); });
  if (!st.ok()) return st;
  st = add("dataset", [o = options.dataset] { return std::make_unique<DatasetRunner>(o); });
  if (!st.ok()) return st;
  st = add("tokenizer", [o = options.tokenizer] { return std::make_unique<TokenizerRunner>(o); });
  if (!st.ok()) return st;
  st = add("pretrain", [o = options.pretrain] { return GuardTorchExceptions(std::make_unique<PretrainRunner>(o)); });
  if (!st.ok()) return st;
  st = add("train", [o = options.train] { return GuardTorchExceptions(std::make_unique<TrainRunner>(o)); });
  if (!st.ok()) return st;
  st = add("evaluate", [o = options.evaluate] { return GuardTorchExceptions(std::make_unique<EvaluateRunner>(o)); });
  if (!st.ok()) return st;
  st = add("score", [o = options.score] { return std::make_unique<ScoreRunner>(o); });
  if (!st.ok()) return st;
  return add("rag", [o = options.rag] { return std::make_unique<RagRunner>(o); });
}

}  // namespace ecgbench::worker
