// The prepared statements of SqliteStore, one per query, prepared once at Open and reused by
// every call. Internal to server/store. Not thread-safe: SqliteStore guards them with its mutex.
#pragma once

#include "absl/status/status.h"
#include "server/store/sqlite_statement.h"

namespace ecgbench::server::sqlite {

struct StoreStatements {
  Statement begin_write, begin_read, commit, rollback;
  Statement upsert_experiment, upsert_run, upsert_stage, upsert_task, upsert_attempt, upsert_worker;
  Statement insert_event, insert_log, insert_metric, upsert_kv, delete_kv;
  Statement load_experiments, load_runs, load_stages, load_tasks, load_attempts, load_workers,
      load_kv, sequence;
  Statement read_events, read_logs, read_metrics, read_run_metrics;

  // Prepares every statement on `db` (which must be at the current schema version).
  absl::Status Prepare(const Connection& db);
};

}  // namespace ecgbench::server::sqlite
