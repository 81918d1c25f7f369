// Store: the coordinator's durable state in one SQLite file (WAL mode). Entities are written as
// whole records; every Commit is one transaction, so a crash leaves either all of a state change
// or none of it. Events and log lines get their sequence numbers from the store.
//
// Thread-safe: calls are serialized internally. Errors: INTERNAL for SQLite failures (the message
// names the database path and the statement), FAILED_PRECONDITION for a schema newer than this
// binary knows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ecgbench/v1/types.pb.h"
#include "server/store/records.pb.h"

namespace ecgbench::server {

// All writes of one state change.
struct WriteBatch {
  std::vector<store::ExperimentRecord> experiments;  // upserts by id
  std::vector<store::RunRecord> runs;
  std::vector<store::StageRecord> stages;
  std::vector<store::TaskRecord> tasks;
  std::vector<store::AttemptRecord> attempts;
  std::vector<store::WorkerRecord> workers;
  std::vector<v1::Event> events;     // appended; Commit sets each event's seq
  std::vector<v1::LogLine> logs;     // appended; Commit sets each line's seq
  std::vector<v1::MetricPoint> metrics;  // appended; experiment id taken from metric_experiment_ids
  std::vector<std::string> metric_experiment_ids;  // parallel to metrics
  struct KvEntry {
    std::string attempt_id, key, value;
  };
  std::vector<KvEntry> kv;                      // upserts by (attempt_id, key)
  std::vector<std::string> kv_delete_attempts;  // drop every key of these attempts

  bool empty() const;
};

// Everything needed to rebuild the in-memory state at start-up.
struct StoreSnapshot {
  std::vector<store::ExperimentRecord> experiments;
  std::vector<store::RunRecord> runs;
  std::vector<store::StageRecord> stages;
  std::vector<store::TaskRecord> tasks;
  std::vector<store::AttemptRecord> attempts;
  std::vector<store::WorkerRecord> workers;
  std::vector<WriteBatch::KvEntry> kv;
  int64_t max_event_seq = 0;
  int64_t max_log_seq = 0;
};

struct LogQuery {
  std::string experiment_id;  // required
  std::string run_id;         // empty: any
  std::string stage;          // stage id or kind; empty: any
  std::string task_id;        // empty: any
  std::optional<int> rank;
  v1::LogLevel min_level = v1::LOG_LEVEL_UNSPECIFIED;
  int64_t after_seq = 0;
  int limit = 1000;
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  // ":memory:" opens a private in-memory database (tests).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  virtual ~Store() = default;

  virtual int SchemaVersion() const = 0;
  virtual absl::Status Commit(WriteBatch& batch) = 0;
  virtual absl::StatusOr<StoreSnapshot> Load() = 0;

  // Events of one experiment with seq > after_seq, ascending, at most limit.
  virtual absl::StatusOr<std::vector<v1::Event>> ReadEvents(const std::string& experiment_id,
                                                            int64_t after_seq, int limit) = 0;
  virtual absl::StatusOr<std::vector<v1::LogLine>> ReadLogs(const LogQuery& query) = 0;
  // Metric points of one experiment (optionally one run), in insertion order.
  virtual absl::StatusOr<std::vector<v1::MetricPoint>> ReadMetrics(const std::string& experiment_id,
                                                                   const std::string& run_id) = 0;
  // File size in bytes (0 for in-memory).
  virtual int64_t SizeBytes() const = 0;
};

}  // namespace ecgbench::server
