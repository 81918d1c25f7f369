// StageRegistry: stage kind ("probe", "train", ...) -> factory of StageRunner. The worker announces
// Kinds() in RegisterWorker.stage_kinds, and the agent creates one runner per assignment.
// Thread-safety: fill it before the agent starts; after that it is only read (const methods are
// safe to call concurrently).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

using StageRunnerFactory = std::function<std::unique_ptr<StageRunner>()>;

class StageRegistry {
 public:
  // ALREADY_EXISTS when `kind` is registered; INVALID_ARGUMENT for an empty kind or factory.
  absl::Status Register(const std::string& kind, StageRunnerFactory factory);

  // A new runner for `kind`, or nullptr when this worker has none.
  std::unique_ptr<StageRunner> Create(const std::string& kind) const;

  bool Has(const std::string& kind) const;

  // Registered kinds, sorted.
  std::vector<std::string> Kinds() const;

 private:
  std::map<std::string, StageRunnerFactory> factories_;
};

}  // namespace ecgbench::worker
