// SqliteStore: the Store (server/store/store.h) on one SQLite file in WAL mode. Open sets
// journal_mode=WAL, synchronous=NORMAL, foreign_keys=ON and a busy timeout, migrates the schema
// (server/store/schema.h) and prepares every statement once; calls reuse them. WAL checkpoints
// run on a background thread (server/store/wal_checkpointer.h), never inside a Commit.
//
// Thread-safe: every call takes one mutex. Commit runs BEGIN IMMEDIATE ... COMMIT and rolls back
// on any error, so a failed Commit leaves both the database and the batch unchanged (seq numbers
// are written into the batch only after COMMIT succeeds). Within a batch the writes run in the
// order experiments, runs, stages, tasks, attempts, workers, events, logs, metrics, kv upserts,
// kv deletes (so a batch that sets and deletes keys of one attempt ends with none).
//
// Errors: INVALID_ARGUMENT for a malformed batch or query (a record without id, metrics and
// metric_experiment_ids of different sizes, an empty experiment id or a limit < 1 in a read);
// INTERNAL for SQLite failures and undecodable rows ("<path>: <statement> <id>: <reason>");
// FAILED_PRECONDITION at Open for a schema newer than this binary.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/store/sqlite_statement.h"
#include "server/store/wal_checkpointer.h"
#include "server/store/store.h"

namespace ecgbench::server {
namespace sqlite {
struct StoreStatements;  // server/store/store_statements.h
}  // namespace sqlite

class SqliteStore final : public Store {
 public:
  // The parent directory of `path` must exist. ":memory:" opens a private in-memory database.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  int SchemaVersion() const override { return schema_version_; }
  absl::Status Commit(WriteBatch& batch) override;
  absl::StatusOr<StoreSnapshot> Load() override;
  absl::StatusOr<std::vector<v1::Event>> ReadEvents(const std::string& experiment_id,
                                                    int64_t after_seq, int limit) override;
  absl::StatusOr<std::vector<v1::LogLine>> ReadLogs(const LogQuery& query) override;
  absl::StatusOr<std::vector<v1::MetricPoint>> ReadMetrics(const std::string& experiment_id,
                                                           const std::string& run_id) override;
  // Bytes of the database file plus its write-ahead log; 0 for ":memory:".
  int64_t SizeBytes() const override;

  const std::string& path() const { return path_; }

 private:
  SqliteStore(sqlite::Connection db, int schema_version, std::unique_ptr<sqlite::StoreStatements> statements,
              std::unique_ptr<sqlite::WalCheckpointer> checkpointer);

  absl::Status WriteAll(const WriteBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Rollback() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);  // if a transaction is open

  // Constant after construction.
  const int schema_version_;
  const std::string path_;

  // Declared before db_ so that it outlives the connection whose WAL hook points at it.
  const std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;  // null for ":memory:"
  absl::Mutex mu_;
  sqlite::Connection db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<sqlite::StoreStatements> statements_ ABSL_GUARDED_BY(mu_);
  std::string buffer_ ABSL_GUARDED_BY(mu_);  // serialization scratch, reused across rows
  std::vector<int64_t> event_seqs_ ABSL_GUARDED_BY(mu_);  // seqs of the batch being committed
  std::vector<int64_t> log_seqs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::server
