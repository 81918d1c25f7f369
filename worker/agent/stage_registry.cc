// StageRegistry implementation.
#include "worker/agent/stage_registry.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::worker {

absl::Status StageRegistry::Register(const std::string& kind, StageRunnerFactory factory) {
  if (kind.empty()) return absl::InvalidArgumentError("stage kind must not be empty");
  if (!factory) {
    return absl::InvalidArgumentError(absl::StrCat("stage kind \"", kind, "\": no factory given"));
  }
  if (!factories_.emplace(kind, std::move(factory)).second) {
    return absl::AlreadyExistsError(absl::StrCat("stage kind \"", kind, "\" is already registered"));
  }
  return absl::OkStatus();
}

std::unique_ptr<StageRunner> StageRegistry::Create(const std::string& kind) const {
  auto it = factories_.find(kind);
  if (it == factories_.end()) return nullptr;
  return it->second();
}

bool StageRegistry::Has(const std::string& kind) const { return factories_.count(kind) > 0; }

std::vector<std::string> StageRegistry::Kinds() const {
  std::vector<std::string> kinds;
  kinds.reserve(factories_.size());
  for (const auto& [kind, factory] : factories_) kinds.push_back(kind);
  return kinds;
}

}  // namespace ecgbench::worker
