// SQL text of every statement SqliteStore runs. Upserts use ON CONFLICT (id) DO UPDATE rather
// than INSERT OR REPLACE, which would silently delete a row holding the same request_id.
#include "server/store/store_statements.h"

#include "common/util/status_macros.h"

namespace ecgbench::server::sqlite {

absl::Status StoreStatements::Prepare(const Connection& db) {
  struct Spec {
    Statement StoreStatements::*member;
    const char* name;
    const char* sql;
  };
  static constexpr Spec kSpecs[] = {
      {&StoreStatements::begin_write, "begin transaction", "BEGIN IMMEDIATE"},
      {&StoreStatements::begin_read, "begin read", "BEGIN DEFERRED"},
      {&StoreStatements::commit, "commit", "COMMIT"},
      {&StoreStatements::rollback, "rollback", "ROLLBACK"},
      {&StoreStatements::upsert_experiment, "upsert experiment",
       "INSERT INTO experiments (id, request_id, name, state, priority, created_unix_ms, record) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
       "request_id = excluded.request_id, name = excluded.name, state = excluded.state, "
       "priority = excluded.priority, created_unix_ms = excluded.created_unix_ms, "
       "record = excluded.record"},
      {&StoreStatements::upsert_run, "upsert run",
       "INSERT INTO runs (id, experiment_id, record) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO "
       "UPDATE SET experiment_id = excluded.experiment_id, record = excluded.record"},
      {&StoreStatements::upsert_stage, "upsert stage",
       "INSERT INTO stages (id, experiment_id, run_id, record) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (id) DO UPDATE SET experiment_id = excluded.experiment_id, "
       "run_id = excluded.run_id, record = excluded.record"},
      {&StoreStatements::upsert_task, "upsert task",
       "INSERT INTO tasks (id, experiment_id, stage_id, state, record) "
       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
       "experiment_id = excluded.experiment_id, stage_id = excluded.stage_id, "
       "state = excluded.state, record = excluded.record"},
      {&StoreStatements::upsert_attempt, "upsert attempt",
       "INSERT INTO attempts (id, task_id, record) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO "
       "UPDATE SET task_id = excluded.task_id, record = excluded.record"},
      {&StoreStatements::upsert_worker, "upsert worker",
       "INSERT INTO workers (id, state, record) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO "
       "UPDATE SET state = excluded.state, record = excluded.record"},
      {&StoreStatements::insert_event, "insert event",
       "INSERT INTO events (experiment_id, time_unix_ms, event) VALUES (?1, ?2, ?3)"},
      {&StoreStatements::insert_log, "insert log line",
       "INSERT INTO logs (experiment_id, run_id, stage_id, stage_kind, task_id, rank, level, "
       "line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&StoreStatements::insert_metric, "insert metric",
       "INSERT INTO metrics (experiment_id, run_id, name, point) VALUES (?1, ?2, ?3, ?4)"},
      {&StoreStatements::upsert_kv, "upsert kv",
       "INSERT INTO kv (attempt_id, key, value) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (attempt_id, key) DO UPDATE SET value = excluded.value"},
      {&StoreStatements::delete_kv, "delete kv of attempt", "DELETE FROM kv WHERE attempt_id = ?1"},
      {&StoreStatements::load_experiments, "load experiments",
       "SELECT record, id FROM experiments ORDER BY rowid"},
      {&StoreStatements::load_runs, "load runs", "SELECT record, id FROM runs ORDER BY rowid"},
      {&StoreStatements::load_stages, "load stages",
       "SELECT record, id FROM stages ORDER BY rowid"},
      {&StoreStatements::load_tasks, "load tasks", "SELECT record, id FROM tasks ORDER BY rowid"},
      {&StoreStatements::load_attempts, "load attempts",
       "SELECT record, id FROM attempts ORDER BY rowid"},
      {&StoreStatements::load_workers, "load workers",
       "SELECT record, id FROM workers ORDER BY rowid"},
      {&StoreStatements::load_kv, "load kv",
       "SELECT attempt_id, key, value FROM kv ORDER BY rowid"},
      {&StoreStatements::sequence, "read sequence",
       "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0)"},
      {&StoreStatements::read_events, "read events",
       "SELECT seq, event FROM events WHERE experiment_id = ?1 AND seq > ?2 ORDER BY seq "
       "LIMIT ?3"},
      {&StoreStatements::read_logs, "read logs",
       "SELECT seq, line FROM logs WHERE experiment_id = ?1 AND seq > ?2 "
       "AND (?3 = '' OR run_id = ?3) AND (?4 = '' OR stage_id = ?4 OR stage_kind = ?4) "
       "AND (?5 = '' OR task_id = ?5) AND (?6 IS NULL OR rank = ?6) AND level >= ?7 "
       "ORDER BY seq LIMIT ?8"},
      // Two statements so that one run's points come straight from metrics_by_run, in order.
      {&StoreStatements::read_metrics, "read metrics",
       "SELECT point, id FROM metrics WHERE experiment_id = ?1 ORDER BY id"},
      {&StoreStatements::read_run_metrics, "read metrics",
       "SELECT point, id FROM metrics WHERE experiment_id = ?1 AND run_id = ?2 ORDER BY id"},
  };
  for (const Spec& spec : kSpecs) {
    ECGBENCH_ASSIGN_OR_RETURN(this->*spec.member, Statement::Prepare(db, spec.name, spec.sql));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::server::sqlite
