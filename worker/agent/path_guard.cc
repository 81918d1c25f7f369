// Runner wrapper that checks the spec paths of an assignment before its stage runs.
#include "worker/agent/path_guard.h"

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/security/spec_paths.h"

namespace ecgbench::worker {
namespace {

class PathGuardedRunner final : public StageRunner {
 public:
  PathGuardedRunner(std::shared_ptr<const common::PathPolicy> policy, std::unique_ptr<StageRunner> inner)
      : policy_(std::move(policy)), inner_(std::move(inner)) {}

  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override {
    absl::Status paths = common::CheckStageParamsPaths(*policy_, ctx.assignment().params_json());
    if (!paths.ok()) {
      ctx.Log(v1::LOG_LEVEL_ERROR, std::string(paths.message()));
      return paths;
    }
    return inner_->Run(ctx);
  }

  bool SupportsCheckpoint() const override { return inner_->SupportsCheckpoint(); }

 private:
  const std::shared_ptr<const common::PathPolicy> policy_;
  const std::unique_ptr<StageRunner> inner_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const common::PathPolicy>> WorkerPathPolicy(
    const std::vector<std::string>& data_roots, const std::string& artifact_root) {
  if (data_roots.empty()) return std::shared_ptr<const common::PathPolicy>();
  std::vector<std::string> roots = data_roots;
  std::error_code ec;
  const std::filesystem::path artifacts = std::filesystem::absolute(artifact_root, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("--artifact-root ", artifact_root, ": ", ec.message()));
  }
  roots.push_back(artifacts.lexically_normal().string());
  absl::StatusOr<common::PathPolicy> policy = common::PathPolicy::Create(roots);
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat("--data-root: ", policy.status().message()));
  return std::make_shared<const common::PathPolicy>(*std::move(policy));
}

std::unique_ptr<StageRunner> ConfineSpecPaths(std::shared_ptr<const common::PathPolicy> policy,
                                              std::unique_ptr<StageRunner> runner) {
  if (policy == nullptr || !policy->confined()) return runner;
  return std::make_unique<PathGuardedRunner>(std::move(policy), std::move(runner));
}

}  // namespace ecgbench::worker
