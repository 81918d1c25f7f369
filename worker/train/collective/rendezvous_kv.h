// RendezvousKv: the minimal key-value interface through which the ranks of one data-parallel group
// meet (exchange addresses, the NCCL unique id). In a task it is the coordinator's rendezvous KV
// (task_context_kv.h adapts TaskContext::KvSet / KvGet / KvWait); InMemoryKv serves ranks that are
// threads of one process (tests, single-host tools). Torch-free.
//
// The KV offers set, get and wait only: no delete, no atomic add or compare-and-set. Values are
// arbitrary bytes (std::string as a byte container). Keys are written once per group: callers put a
// per-attempt, per-group prefix in front (see AttemptKeyPrefix) so that reruns never read stale
// values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ecgbench::worker::train {

// Implementations are thread-safe: the ranks of a group and the background threads of a backend may
// call them concurrently.
class RendezvousKv {
 public:
  virtual ~RendezvousKv() = default;

  // Sets (or overwrites) `key`. Errors: whatever the transport reports (e.g. CANCELLED when the
  // task was cancelled, DEADLINE_EXCEEDED when the coordinator stayed unreachable).
  virtual absl::Status Set(const std::string& key, const std::string& value) = 0;
  // The value of `key`, nullopt when it is not set. Never blocks on the key.
  virtual absl::StatusOr<std::optional<std::string>> Get(const std::string& key) = 0;
  // Blocks until every key is set; the values come back in the order of `keys`.
  // DEADLINE_EXCEEDED (naming the missing keys) when `timeout` passes first;
  // absl::InfiniteDuration() waits without limit.
  virtual absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>& keys,
                                                        absl::Duration timeout) = 0;
};

// A process-local RendezvousKv (ranks as threads; tests). Thread-safe.
class InMemoryKv final : public RendezvousKv {
 public:
  absl::Status Set(const std::string& key, const std::string& value) override;
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>& keys,
                                                absl::Duration timeout) override;

  // Number of keys set so far (tests).
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> values_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::worker::train
