// TaskContextKv: the coordinator's rendezvous KV (TaskContext::KvSet / KvGet / KvWait, scoped by the
// coordinator to one task attempt) seen as a RendezvousKv, and the key prefix the collectives of a
// task use. Torch-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "worker/agent/stage_runner.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {

// Forwards every call to the TaskContext, which must outlive this object. Thread-safe (the agent's
// TaskContext is). Errors are the context's: CANCELLED when the assignment is cancelled,
// DEADLINE_EXCEEDED when the coordinator stays unreachable or a wait times out.
class TaskContextKv final : public RendezvousKv {
 public:
  explicit TaskContextKv(TaskContext& context) : context_(context) {}

  absl::Status Set(const std::string& key, const std::string& value) override;
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>& keys,
                                                absl::Duration timeout) override;

 private:
  TaskContext& context_;
};

// "collective/<attempt id>/<group>/": the prefix for the keys of one communicator group of this
// task attempt. The coordinator already scopes the KV to the attempt; the attempt id in the key
// also keeps keys apart when a KV outlives attempts (tests, other transports). `group` names the
// communicator ("gloo", "nccl", "gloo-eval", ...): creating two groups with the same name in one
// attempt would read the first group's addresses, so each group needs its own name.
std::string AttemptKeyPrefix(const v1::Assignment& assignment, const std::string& group);

}  // namespace ecgbench::worker::train
