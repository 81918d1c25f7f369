// Building a content-addressed artifact that other tasks may build at the same time (runs of one
// experiment that share it): the task takes the artifact's FileLock (common/util/file_lock.h),
// and whoever gets it second finds the artifact complete and reuses it. For a task of several
// ranks only rank 0 locks; it tells the other ranks through the attempt's rendezvous KV whether the
// artifact is reused or built, so all ranks take the same branch. Torch-free.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/util/file_lock.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct SharedArtifact {
  std::optional<common::FileLock> lock;  // held by rank 0 (or the only rank) until destroyed
  bool reuse = false;                     // the artifact is complete: every rank reuses it
};

// `complete` is called once, on rank 0, after the lock is held. Errors: CANCELLED while waiting,
// the lock's and the KV's errors.
absl::StatusOr<SharedArtifact> AcquireSharedArtifact(TaskContext& ctx, const std::string& artifact_dir,
                                                     const std::function<bool()>& complete);

}  // namespace ecgbench::worker
