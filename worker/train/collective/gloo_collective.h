// The Gloo backend of Collective for CPU tensors: c10d::ProcessGroupGloo (exported by Debian's
// LibTorch 1.13) meeting its peers through a RendezvousKv (KvStore). Each rank's Gloo device listens
// on an ephemeral port of the address chosen below and publishes it in the KV; no fixed ports.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/train/collective/collective.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {

struct GlooOptions {
  int rank = 0;
  int world_size = 1;
  // Put in front of every KV key of this group, e.g. AttemptKeyPrefix(assignment, "gloo")
  // (task_context_kv.h). Required; a group must not reuse the prefix of an earlier group.
  std::string key_prefix;
  // Where this rank's Gloo device listens, and what it tells its peers:
  //   interface set (e.g. "eth0"): the address of that network interface;
  //   else hostname set (e.g. "127.0.0.1", or the worker's routable host name or address);
  //   else this machine's host name, falling back to loopback when it does not resolve.
  // Ranks on several machines need an address the others can reach.
  std::string interface;
  std::string hostname;
  // Bounds every rendezvous wait (all ranks must have joined within it).
  absl::Duration rendezvous_timeout = absl::Minutes(5);
  // Bounds each collective operation (Gloo's context timeout; also the TCP connect to peers).
  absl::Duration op_timeout = absl::Minutes(30);
  int threads = 2;  // Gloo worker threads (operations in flight at once)
};

// Joins the group: blocks until all world_size ranks have joined (or the rendezvous timeout).
// The RendezvousKv must outlive the returned Collective. Errors: INVALID_ARGUMENT for bad options
// (rank outside [0, world_size), world_size < 1, empty key_prefix, threads < 1, a hostname or
// interface Gloo cannot use); the KV's own status (CANCELLED, DEADLINE_EXCEEDED naming the missing
// ranks' keys, ...) when the rendezvous fails through it; UNAVAILABLE for other connection errors.
absl::StatusOr<std::unique_ptr<Collective>> CreateGlooCollective(RendezvousKv& kv, const GlooOptions& options);

}  // namespace ecgbench::worker::train
