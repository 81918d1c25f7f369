// AcquireSharedArtifact (see shared_artifact.h).
#include "worker/stages/shared_artifact.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace {
constexpr char kDecisionKey[] = "shared_artifact/decision";
// Rank 0 may wait for another task's whole build before it decides.
constexpr absl::Duration kDecisionTimeout = absl::Hours(48);
}  // namespace

absl::StatusOr<SharedArtifact> AcquireSharedArtifact(TaskContext& ctx, const std::string& artifact_dir,
                                                     const std::function<bool()>& complete) {
  SharedArtifact out;
  const int rank = ctx.assignment().rank();
  const int world = std::max(1, ctx.assignment().world_size());
  if (rank == 0) {
    ECGBENCH_ASSIGN_OR_RETURN(common::FileLock lock,
                              common::FileLock::Acquire(common::FileLock::ForArtifact(artifact_dir),
                                                        [&ctx] { return ctx.cancelled(); }));
    out.lock.emplace(std::move(lock));
    out.reuse = complete();
    if (world > 1) ECGBENCH_RETURN_IF_ERROR(ctx.KvSet(kDecisionKey, out.reuse ? "reuse" : "build"));
    return out;
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<std::string> values, ctx.KvWait({kDecisionKey}, kDecisionTimeout));
  out.reuse = !values.empty() && values[0] == "reuse";
  return out;
}

}  // namespace ecgbench::worker
