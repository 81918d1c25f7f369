// KvStore: a c10d::Store over a RendezvousKv, so that c10d::ProcessGroupGloo can meet its peers
// through the coordinator's rendezvous KV (no shared filesystem, no TCPStore on a fixed port).
//
// What it implements (Note [What ProcessGroupGloo asks of its store]): ProcessGroupGloo wraps its
// store in ProcessGroupGloo::GlooStore, which forwards only set, get and wait (with and without a
// timeout); Gloo's connectFullMesh publishes each rank's addresses with set and reads the peers'
// with wait + get; setSequenceNumberForGroup (not called by this project) uses set/wait/get too.
// Those are implemented here, plus check (a read-only Get per key).
// add, compareSet, deleteKey and getNumKeys need an atomic read-modify-write or a key listing that
// the KV does not offer; ProcessGroupGloo never calls them, and here they throw c10::Error
// explaining that (as does watchKey, through c10d::Store's default).
//
// Keys are stored as `prefix + key`. get blocks until the key is set, like c10d's TCPStore.
// Every wait is capped by the store's timeout (the rendezvous timeout), also when c10d passes a
// longer one (Gloo passes its operation timeout, 30 minutes by default) or kNoTimeout.
// Errors are thrown as c10::Error (what c10d expects of a store); the first KV error is also kept
// as an absl::Status (first_error()) so that the caller can return its code (CANCELLED,
// DEADLINE_EXCEEDED) instead of a generic one. Thread-safe. The RendezvousKv must outlive it.
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {

class KvStore final : public c10d::Store {
 public:
  // `timeout`: the cap on every wait; zero means no cap (wait as long as c10d asks).
  KvStore(RendezvousKv& kv, std::string prefix, std::chrono::milliseconds timeout);

  void set(const std::string& key, const std::vector<uint8_t>& value) override;
  std::vector<uint8_t> get(const std::string& key) override;
  bool check(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

  // Not offered by the KV (see the note above): throw c10::Error.
  int64_t add(const std::string& key, int64_t value) override;
  std::vector<uint8_t> compareSet(const std::string& key, const std::vector<uint8_t>& expected,
                                  const std::vector<uint8_t>& desired) override;
  bool deleteKey(const std::string& key) override;
  int64_t getNumKeys() override;

  const std::string& prefix() const { return prefix_; }
  // The first error the KV returned (OK if none).
  absl::Status first_error() const;

 private:
  // Records the first error, then throws it as c10::Error.
  [[noreturn]] void Fail(const absl::Status& status);
  [[noreturn]] static void Unsupported(const char* method, const char* why);
  std::vector<std::string> Prefixed(const std::vector<std::string>& keys) const;

  RendezvousKv& kv_;
  const std::string prefix_;

  mutable absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::worker::train
