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
  st = registry.Register("dataset", [o = options.dataset] { return std::make_unique<DatasetRunner>(o); });
  if (!st.ok()) return st;
  st = registry.Register("tokenizer", [o = options.tokenizer] { return std::make_unique<TokenizerRunner>(o); });
  if (!st.ok()) return st;
  st = registry.Register("pretrain",
                         [o = options.pretrain] { return GuardTorchExceptions(std::make_unique<PretrainRunner>(o)); });
  if (!st.ok()) return st;
  st = registry.Register("train", [o = options.train] { return GuardTorchExceptions(std::make_unique<TrainRunner>(o)); });
  if (!st.ok()) return st;
  st = registry.Register("evaluate",
                         [o = options.evaluate] { return GuardTorchExceptions(std::make_unique<EvaluateRunner>(o)); });
  if (!st.ok()) return st;
  st = registry.Register("score", [o = options.score] { return std::make_unique<ScoreRunner>(o); });
  if (!st.ok()) return st;
  return registry.Register("rag", [o = options.rag] { return std::make_unique<RagRunner>(o); });
}

}  // namespace ecgbench::worker
