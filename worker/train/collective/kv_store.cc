// KvStore: c10d::Store methods mapped onto RendezvousKv calls.
#include "worker/train/collective/kv_store.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ecgbench::worker::train {
namespace {

absl::Duration ToDuration(std::chrono::milliseconds ms) {
  return ms.count() <= 0 ? absl::InfiniteDuration() : absl::Milliseconds(ms.count());
}

}  // namespace

KvStore::KvStore(RendezvousKv& kv, std::string prefix, std::chrono::milliseconds timeout)
    : c10d::Store(timeout), kv_(kv), prefix_(std::move(prefix)) {}

void KvStore::set(const std::string& key, const std::vector<uint8_t>& value) {
  absl::Status status = kv_.Set(prefix_ + key, std::string(value.begin(), value.end()));
  if (!status.ok()) Fail(status);
}

std::vector<uint8_t> KvStore::get(const std::string& key) {
  wait({key}, timeout_);
  auto value = kv_.Get(prefix_ + key);
  if (!value.ok()) Fail(value.status());
  if (!value->has_value()) {
    Fail(absl::InternalError(absl::StrCat("rendezvous key ", prefix_, key, " vanished after it was set")));
  }
  const std::string& bytes = **value;
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

bool KvStore::check(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    auto value = kv_.Get(prefix_ + key);
    if (!value.ok()) Fail(value.status());
    if (!value->has_value()) return false;
  }
  return true;
}

void KvStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void KvStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  // The store's own timeout caps every wait (see the header); zero on either side means no limit.
  const absl::Duration cap = ToDuration(timeout_);
  const absl::Duration asked = ToDuration(timeout);
  auto values = kv_.Wait(Prefixed(keys), std::min(cap, asked));
  if (!values.ok()) Fail(values.status());
}

int64_t KvStore::add(const std::string& key, int64_t value) {
  Unsupported("add", "an atomic read-modify-write");
}

std::vector<uint8_t> KvStore::compareSet(const std::string& key, const std::vector<uint8_t>& expected,
                                         const std::vector<uint8_t>& desired) {
  Unsupported("compareSet", "an atomic compare-and-set");
}

bool KvStore::deleteKey(const std::string& key) { Unsupported("deleteKey", "deleting keys"); }

int64_t KvStore::getNumKeys() { Unsupported("getNumKeys", "listing keys"); }

absl::Status KvStore::first_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void KvStore::Fail(const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) first_error_ = status;
  }
  TORCH_CHECK(false, "rendezvous KV (prefix ", prefix_, "): ", status.ToString());
}

void KvStore::Unsupported(const char* method, const char* why) {
  TORCH_CHECK(false, "KvStore::", method, " needs ", why,
              ", which the rendezvous KV does not offer (ProcessGroupGloo never calls it)");
}

std::vector<std::string> KvStore::Prefixed(const std::vector<std::string>& keys) const {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(prefix_ + key);
  return out;
}

}  // namespace ecgbench::worker::train
