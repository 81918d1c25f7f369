// TaskContextKv: forwarding to the task's rendezvous KV.
#include "worker/train/collective/task_context_kv.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::worker::train {

absl::Status TaskContextKv::Set(const std::string& key, const std::string& value) {
  return context_.KvSet(key, value);
}

absl::StatusOr<std::optional<std::string>> TaskContextKv::Get(const std::string& key) {
  return context_.KvGet(key);
}

absl::StatusOr<std::vector<std::string>> TaskContextKv::Wait(const std::vector<std::string>& keys,
                                                             absl::Duration timeout) {
  return context_.KvWait(keys, timeout);
}

std::string AttemptKeyPrefix(const v1::Assignment& assignment, const std::string& group) {
  return absl::StrCat("collective/", assignment.attempt_id(), "/", group, "/");
}

}  // namespace ecgbench::worker::train
