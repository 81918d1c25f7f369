// InMemoryKv: the process-local rendezvous KV (a map under a mutex; Wait awaits a condition).
#include "worker/train/collective/rendezvous_kv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ecgbench::worker::train {

absl::Status InMemoryKv::Set(const std::string& key, const std::string& value) {
  absl::MutexLock lock(&mu_);
  values_[key] = value;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> InMemoryKv::Get(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = values_.find(key);
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::StatusOr<std::vector<std::string>> InMemoryKv::Wait(const std::vector<std::string>& keys,
                                                          absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto all_set = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& key : keys) {
      if (values_.count(key) == 0) return false;
    }
    return true;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&all_set), timeout)) {
    std::vector<std::string> missing;
    for (const auto& key : keys) {
      if (values_.count(key) == 0) missing.push_back(key);
    }
    return absl::DeadlineExceededError(absl::StrCat("rendezvous: keys [", absl::StrJoin(missing, ", "),
                                                    "] not set within ", absl::FormatDuration(timeout)));
  }
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(values_.at(key));
  return out;
}

size_t InMemoryKv::size() const {
  absl::MutexLock lock(&mu_);
  return values_.size();
}

}  // namespace ecgbench::worker::train
