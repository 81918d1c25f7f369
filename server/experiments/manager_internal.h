// Internal types of the Manager shared by its .cc files: the per-worker runtime state and the
// transaction (a WriteBatch plus side effects applied only after the batch is durable).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ecgbench/v1/worker.pb.h"
#include "server/experiments/manager.h"

namespace ecgbench::server {

struct Manager::WorkerRuntime {
  store::WorkerRecord rec;
  int64_t last_heartbeat_mono_ms = 0;
  int free_cpus = 0;
  int64_t free_memory_bytes = 0;
  std::vector<std::string> free_gpus;
  std::deque<v1::Assignment> mailbox;          // placed, not yet handed out by AcquireTask
  // Signalled when the mailbox gets an assignment or the worker stops being live: only this
  // worker's long-polls wake (one condition for all of them woke every worker per placement).
  // Shared so that a waiter keeps it alive across Recover(), which replaces the runtimes.
  std::shared_ptr<absl::CondVar> work_cv = std::make_shared<absl::CondVar>();
  std::vector<v1::WorkerCommand> commands;     // returned with the next heartbeat
  std::map<std::pair<std::string, int>, int64_t> assigned;  // (attempt, rank) -> last seen (monotonic ms)

  bool live() const {
    return rec.state() == v1::WORKER_STATE_ACTIVE || rec.state() == v1::WORKER_STATE_DRAINING;
  }
};

struct Manager::Tx {
  WriteBatch batch;
  std::set<std::string> experiments, runs, stages, tasks, attempts, workers;  // dirty ids
  std::vector<std::pair<std::string, v1::Assignment>> deliveries;           // worker id -> assignment
  struct AttemptEnd {
    std::string stage_kind, outcome;
  };
  std::vector<AttemptEnd> attempt_ends;
  struct Placed {
    std::string stage_kind;
    int64_t latency_ms;
  };
  std::vector<Placed> placed;
};

const char* StateName(v1::State s);
bool IsTerminal(v1::State s);

}  // namespace ecgbench::server
