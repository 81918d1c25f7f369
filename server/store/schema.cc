// Versioned schema migrations of the coordinator database. Version 1 is the initial schema;
// every later version is a step on top of the previous one, applied in its own transaction.
#include "server/store/schema.h"

#include "absl/strings/str_cat.h"
#include "common/util/clock.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server::sqlite {
namespace {

// Entities are stored whole as serialized records (server/store/records.proto, or the v1 wire
// messages for events, logs and metrics) next to the columns the store filters by.
constexpr char kV1InitialSchema[] = R"sql(
CREATE TABLE experiments (
  id TEXT PRIMARY KEY NOT NULL,
  request_id TEXT UNIQUE,
  name TEXT NOT NULL,
  state INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE runs (
  id TEXT PRIMARY KEY NOT NULL,
  experiment_id TEXT NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE stages (
  id TEXT PRIMARY KEY NOT NULL,
  experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  experiment_id TEXT NOT NULL,
  stage_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE attempts (
  id TEXT PRIMARY KEY NOT NULL,
  task_id TEXT NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE workers (
  id TEXT PRIMARY KEY NOT NULL,
  state INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment_id TEXT NOT NULL,
  time_unix_ms INTEGER NOT NULL,
  event BLOB NOT NULL);
CREATE TABLE logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  stage_id TEXT NOT NULL,
  stage_kind TEXT NOT NULL,
  task_id TEXT NOT NULL,
  rank INTEGER NOT NULL,
  level INTEGER NOT NULL,
  line BLOB NOT NULL);
CREATE TABLE metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  point BLOB NOT NULL);
CREATE TABLE kv (
  attempt_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (attempt_id, key));
)sql";

// ReadEvents / ReadLogs page through one experiment by seq; ReadMetrics selects one experiment
// (and run). Without these indexes each read scans the whole table.
constexpr char kV2ReadIndexes[] = R"sql(
CREATE INDEX events_by_experiment ON events (experiment_id, seq);
CREATE INDEX logs_by_experiment ON logs (experiment_id, seq);
CREATE INDEX metrics_by_run ON metrics (experiment_id, run_id);
)sql";

constexpr char kCreateVersionTable[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_unix_ms INTEGER NOT NULL)";

absl::StatusOr<int> ReadVersion(const Connection& db) {
  ECGBENCH_ASSIGN_OR_RETURN(
      Statement select, Statement::Prepare(db, "read schema version",
                                           "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  StatementScope scope(select);
  ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? static_cast<int>(select.ColumnInt(0)) : 0;
}

// Applies one step inside the caller's transaction.
absl::Status ApplyStep(Connection& db, const Migration& step) {
  const std::string what =
      absl::StrCat("migration to schema version ", step.version, " (", step.description, ")");
  ECGBENCH_RETURN_IF_ERROR(db.Exec(what, step.sql));
  ECGBENCH_ASSIGN_OR_RETURN(
      Statement record,
      Statement::Prepare(db, "record schema version",
                         "INSERT INTO schema_version (version, description, applied_unix_ms) "
                         "VALUES (?1, ?2, ?3)"));
  record.BindInt(1, step.version);
  record.BindText(2, step.description);
  record.BindInt(3, common::RealClock::Get()->NowUnixMs());
  return record.Run();
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration>* const kMigrations = new std::vector<Migration>{
      {1, "initial schema", kV1InitialSchema},
      {2, "indexes for event, log and metric reads", kV2ReadIndexes},
  };
  return *kMigrations;
}

int CurrentSchemaVersion() { return Migrations().back().version; }

absl::StatusOr<int> Migrate(Connection& db) {
  ECGBENCH_RETURN_IF_ERROR(db.Exec("cannot create schema_version table", kCreateVersionTable));
  ECGBENCH_ASSIGN_OR_RETURN(int version, ReadVersion(db));
  const int current = CurrentSchemaVersion();
  if (version > current) {
    return absl::FailedPreconditionError(absl::StrCat(
        db.path(), ": database schema version ", version, " is newer than this binary supports (",
        current, "); use a newer ecgbench-coordinator"));
  }
  for (const Migration& step : Migrations()) {
    if (step.version <= version) continue;
    ECGBENCH_RETURN_IF_ERROR(db.Exec("cannot begin migration", "BEGIN IMMEDIATE"));
    absl::Status status = ApplyStep(db, step);
    if (status.ok()) status = db.Exec("cannot commit migration", "COMMIT");
    if (!status.ok()) {
      // Best effort: the step's own error is the one worth reporting.
      (void)db.Exec("rollback migration", "ROLLBACK");
      return status;
    }
    version = step.version;
    spdlog::info("{}: migrated schema to version {} ({})", db.path(), step.version,
                 step.description);
  }
  return version;
}

}  // namespace ecgbench::server::sqlite
