// SqliteStore: connection set-up (WAL, pragmas, migrations), the prepared statements, Commit as
// one transaction, and the reads (Load, events, logs, metrics).
#include "server/store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/util/status_macros.h"
#include "server/store/schema.h"
#include "server/store/store_statements.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {
namespace {

using sqlite::Statement;
using sqlite::StatementScope;

constexpr int kBusyTimeoutMs = 5000;
constexpr int kCheckpointPages = 1000;  // SQLite's own default threshold (about 4 MB of WAL)
constexpr char kMemoryPath[] = ":memory:";

absl::Status CheckId(const std::string& id, absl::string_view what) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat("Commit: ", what, " without id"));
  return absl::OkStatus();
}

template <typename Record>
absl::Status CheckIds(const std::vector<Record>& records, absl::string_view what) {
  for (const Record& record : records) ECGBENCH_RETURN_IF_ERROR(CheckId(record.id(), what));
  return absl::OkStatus();
}

absl::Status ValidateBatch(const WriteBatch& batch) {
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.experiments, "experiment record"));
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.runs, "run record"));
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.stages, "stage record"));
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.tasks, "task record"));
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.attempts, "attempt record"));
  ECGBENCH_RETURN_IF_ERROR(CheckIds(batch.workers, "worker record"));
  if (batch.metrics.size() != batch.metric_experiment_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Commit: ", batch.metrics.size(), " metrics but ", batch.metric_experiment_ids.size(),
        " metric_experiment_ids (must be parallel)"));
  }
  for (const WriteBatch::KvEntry& entry : batch.kv) {
    ECGBENCH_RETURN_IF_ERROR(CheckId(entry.attempt_id, "kv entry"));
  }
  return absl::OkStatus();
}

absl::Status CheckRead(absl::string_view call, const std::string& experiment_id, int limit) {
  if (experiment_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(call, ": experiment_id is required"));
  }
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat(call, ": limit must be >= 1, got ", limit));
  }
  return absl::OkStatus();
}

absl::Status DecodeError(const std::string& path, absl::string_view table, absl::string_view key) {
  return absl::InternalError(
      absl::StrCat(path, ": cannot decode row ", key, " of table ", table, " (corrupt record)"));
}

absl::Status EnableWal(const sqlite::Connection& db) {
  ECGBENCH_ASSIGN_OR_RETURN(
      Statement pragma, Statement::Prepare(db, "set journal_mode", "PRAGMA journal_mode = WAL"));
  StatementScope scope(pragma);
  ECGBENCH_ASSIGN_OR_RETURN(bool row, pragma.Step());
  const std::string mode = row ? std::string(pragma.ColumnText(0)) : std::string();
  const char* want = db.path() == kMemoryPath ? "memory" : "wal";
  if (mode != want) {
    return absl::InternalError(
        absl::StrCat(db.path(), ": cannot enable WAL journal mode (mode is '", mode, "')"));
  }
  return absl::OkStatus();
}

// Reads every row of `select` (column 0: record blob, column 1: key) into `out`.
template <typename Record>
absl::Status LoadAll(Statement& select, const std::string& path, absl::string_view table,
                     std::vector<Record>* out) {
  StatementScope scope(select);
  while (true) {
    ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return absl::OkStatus();
    const absl::string_view blob = select.ColumnBlob(0);
    if (!out->emplace_back().ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DecodeError(path, table, select.ColumnText(1));
    }
  }
}

absl::StatusOr<int64_t> ReadSequence(Statement& select, absl::string_view table) {
  StatementScope scope(select);
  select.BindText(1, table);
  ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnInt(0) : 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("store: database path is empty");
  ECGBENCH_ASSIGN_OR_RETURN(sqlite::Connection db, sqlite::Connection::Open(path));
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // Opening is lazy: the first read is where a file that is not a database shows up.
  ECGBENCH_RETURN_IF_ERROR(db.Exec("cannot read database", "SELECT count(*) FROM sqlite_master"));
  ECGBENCH_RETURN_IF_ERROR(EnableWal(db));
  ECGBENCH_RETURN_IF_ERROR(db.Exec("cannot configure connection",
                                   "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
  ECGBENCH_ASSIGN_OR_RETURN(int version, sqlite::Migrate(db));
  auto statements = std::make_unique<sqlite::StoreStatements>();
  ECGBENCH_RETURN_IF_ERROR(statements->Prepare(db));
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer;
  if (path != kMemoryPath) {
    ECGBENCH_ASSIGN_OR_RETURN(checkpointer, sqlite::WalCheckpointer::Start(path, kCheckpointPages));
    checkpointer->Hook(db.get());
  }
  spdlog::debug("{}: store open (schema version {})", path, version);
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(db), version, std::move(statements), std::move(checkpointer)));
}

SqliteStore::SqliteStore(sqlite::Connection db, int schema_version,
                         std::unique_ptr<sqlite::StoreStatements> statements,
                         std::unique_ptr<sqlite::WalCheckpointer> checkpointer)
    : schema_version_(schema_version),
      path_(db.path()),
      checkpointer_(std::move(checkpointer)),
      db_(std::move(db)),
      statements_(std::move(statements)) {}

SqliteStore::~SqliteStore() {
  // Finalize the statements before the connection closes (the close would otherwise be deferred).
  absl::MutexLock lock(&mu_);
  statements_.reset();
}

absl::Status SqliteStore::Commit(WriteBatch& batch) {
  ECGBENCH_RETURN_IF_ERROR(ValidateBatch(batch));
  if (batch.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  event_seqs_.clear();
  log_seqs_.clear();
  ECGBENCH_RETURN_IF_ERROR(statements_->begin_write.Run());
  absl::Status status = WriteAll(batch);
  if (status.ok()) status = statements_->commit.Run();
  if (!status.ok()) {
    Rollback();
    return status;
  }
  for (size_t i = 0; i < batch.events.size(); ++i) batch.events[i].set_seq(event_seqs_[i]);
  for (size_t i = 0; i < batch.logs.size(); ++i) batch.logs[i].set_seq(log_seqs_[i]);
  return absl::OkStatus();
}

void SqliteStore::Rollback() {
  if (sqlite3_get_autocommit(db_.get()) != 0) return;  // SQLite already ended the transaction
  const absl::Status status = statements_->rollback.Run();
  if (!status.ok()) spdlog::error("{}", status.ToString());
}

absl::Status SqliteStore::WriteAll(const WriteBatch& batch) {
  sqlite::StoreStatements& s = *statements_;
  for (const store::ExperimentRecord& r : batch.experiments) {
    r.SerializeToString(&buffer_);
    s.upsert_experiment.BindText(1, r.id());
    s.upsert_experiment.BindTextOrNull(2, r.request_id());
    s.upsert_experiment.BindText(3, r.name());
    s.upsert_experiment.BindInt(4, r.state());
    s.upsert_experiment.BindInt(5, r.priority());
    s.upsert_experiment.BindInt(6, r.created_unix_ms());
    s.upsert_experiment.BindBlob(7, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_experiment.Run(r.id()));
  }
  for (const store::RunRecord& r : batch.runs) {
    r.SerializeToString(&buffer_);
    s.upsert_run.BindText(1, r.id());
    s.upsert_run.BindText(2, r.experiment_id());
    s.upsert_run.BindBlob(3, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_run.Run(r.id()));
  }
  for (const store::StageRecord& r : batch.stages) {
    r.SerializeToString(&buffer_);
    s.upsert_stage.BindText(1, r.id());
    s.upsert_stage.BindText(2, r.experiment_id());
    s.upsert_stage.BindText(3, r.run_id());
    s.upsert_stage.BindBlob(4, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_stage.Run(r.id()));
  }
  for (const store::TaskRecord& r : batch.tasks) {
    r.SerializeToString(&buffer_);
    s.upsert_task.BindText(1, r.id());
    s.upsert_task.BindText(2, r.experiment_id());
    s.upsert_task.BindText(3, r.stage_id());
    s.upsert_task.BindInt(4, r.state());
    s.upsert_task.BindBlob(5, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_task.Run(r.id()));
  }
  for (const store::AttemptRecord& r : batch.attempts) {
    r.SerializeToString(&buffer_);
    s.upsert_attempt.BindText(1, r.id());
    s.upsert_attempt.BindText(2, r.task_id());
    s.upsert_attempt.BindBlob(3, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_attempt.Run(r.id()));
  }
  for (const store::WorkerRecord& r : batch.workers) {
    r.SerializeToString(&buffer_);
    s.upsert_worker.BindText(1, r.id());
    s.upsert_worker.BindInt(2, r.state());
    s.upsert_worker.BindBlob(3, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_worker.Run(r.id()));
  }
  // The stored blobs keep whatever seq the caller set; reads take seq from the column.
  for (const v1::Event& e : batch.events) {
    e.SerializeToString(&buffer_);
    s.insert_event.BindText(1, e.experiment_id());
    s.insert_event.BindInt(2, e.time_unix_ms());
    s.insert_event.BindBlob(3, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.insert_event.Run());
    event_seqs_.push_back(sqlite3_last_insert_rowid(db_.get()));
  }
  for (const v1::LogLine& l : batch.logs) {
    l.SerializeToString(&buffer_);
    s.insert_log.BindText(1, l.experiment_id());
    s.insert_log.BindText(2, l.run_id());
    s.insert_log.BindText(3, l.stage_id());
    s.insert_log.BindText(4, l.stage_kind());
    s.insert_log.BindText(5, l.task_id());
    s.insert_log.BindInt(6, l.rank());
    s.insert_log.BindInt(7, l.level());
    s.insert_log.BindBlob(8, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.insert_log.Run());
    log_seqs_.push_back(sqlite3_last_insert_rowid(db_.get()));
  }
  for (size_t i = 0; i < batch.metrics.size(); ++i) {
    const v1::MetricPoint& m = batch.metrics[i];
    m.SerializeToString(&buffer_);
    s.insert_metric.BindText(1, batch.metric_experiment_ids[i]);
    s.insert_metric.BindText(2, m.run_id());
    s.insert_metric.BindText(3, m.name());
    s.insert_metric.BindBlob(4, buffer_);
    ECGBENCH_RETURN_IF_ERROR(s.insert_metric.Run());
  }
  for (const WriteBatch::KvEntry& entry : batch.kv) {
    s.upsert_kv.BindText(1, entry.attempt_id);
    s.upsert_kv.BindText(2, entry.key);
    s.upsert_kv.BindBlob(3, entry.value);
    ECGBENCH_RETURN_IF_ERROR(s.upsert_kv.Run(entry.attempt_id));
  }
  for (const std::string& attempt_id : batch.kv_delete_attempts) {
    s.delete_kv.BindText(1, attempt_id);
    ECGBENCH_RETURN_IF_ERROR(s.delete_kv.Run(attempt_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreSnapshot> SqliteStore::Load() {
  absl::MutexLock lock(&mu_);
  sqlite::StoreStatements& s = *statements_;
  // One read transaction: a consistent snapshot even if another process writes meanwhile.
  ECGBENCH_RETURN_IF_ERROR(s.begin_read.Run());
  StoreSnapshot snapshot;
  absl::Status status = [&]() -> absl::Status {
    ECGBENCH_RETURN_IF_ERROR(
        LoadAll(s.load_experiments, path_, "experiments", &snapshot.experiments));
    ECGBENCH_RETURN_IF_ERROR(LoadAll(s.load_runs, path_, "runs", &snapshot.runs));
    ECGBENCH_RETURN_IF_ERROR(LoadAll(s.load_stages, path_, "stages", &snapshot.stages));
    ECGBENCH_RETURN_IF_ERROR(LoadAll(s.load_tasks, path_, "tasks", &snapshot.tasks));
    ECGBENCH_RETURN_IF_ERROR(LoadAll(s.load_attempts, path_, "attempts", &snapshot.attempts));
    ECGBENCH_RETURN_IF_ERROR(LoadAll(s.load_workers, path_, "workers", &snapshot.workers));
    {
      StatementScope scope(s.load_kv);
      while (true) {
        ECGBENCH_ASSIGN_OR_RETURN(bool row, s.load_kv.Step());
        if (!row) break;
        snapshot.kv.push_back({std::string(s.load_kv.ColumnText(0)),
                               std::string(s.load_kv.ColumnText(1)),
                               std::string(s.load_kv.ColumnBlob(2))});
      }
    }
    ECGBENCH_ASSIGN_OR_RETURN(snapshot.max_event_seq, ReadSequence(s.sequence, "events"));
    ECGBENCH_ASSIGN_OR_RETURN(snapshot.max_log_seq, ReadSequence(s.sequence, "logs"));
    return s.commit.Run();
  }();
  if (!status.ok()) {
    Rollback();
    return status;
  }
  return snapshot;
}

absl::StatusOr<std::vector<v1::Event>> SqliteStore::ReadEvents(const std::string& experiment_id,
                                                               int64_t after_seq, int limit) {
  ECGBENCH_RETURN_IF_ERROR(CheckRead("ReadEvents", experiment_id, limit));
  absl::MutexLock lock(&mu_);
  Statement& select = statements_->read_events;
  StatementScope scope(select);
  select.BindText(1, experiment_id);
  select.BindInt(2, after_seq);
  select.BindInt(3, limit);
  std::vector<v1::Event> events;
  while (true) {
    ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step(experiment_id));
    if (!row) return events;
    const absl::string_view blob = select.ColumnBlob(1);
    v1::Event& event = events.emplace_back();
    if (!event.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DecodeError(path_, "events", absl::StrCat(select.ColumnInt(0)));
    }
    event.set_seq(select.ColumnInt(0));
  }
}

absl::StatusOr<std::vector<v1::LogLine>> SqliteStore::ReadLogs(const LogQuery& query) {
  ECGBENCH_RETURN_IF_ERROR(CheckRead("ReadLogs", query.experiment_id, query.limit));
  absl::MutexLock lock(&mu_);
  Statement& select = statements_->read_logs;
  StatementScope scope(select);
  select.BindText(1, query.experiment_id);
  select.BindInt(2, query.after_seq);
  select.BindText(3, query.run_id);
  select.BindText(4, query.stage);
  select.BindText(5, query.task_id);
  if (query.rank.has_value()) {
    select.BindInt(6, *query.rank);
  } else {
    select.BindNull(6);
  }
  select.BindInt(7, query.min_level);
  select.BindInt(8, query.limit);
  std::vector<v1::LogLine> lines;
  while (true) {
    ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step(query.experiment_id));
    if (!row) return lines;
    const absl::string_view blob = select.ColumnBlob(1);
    v1::LogLine& line = lines.emplace_back();
    if (!line.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DecodeError(path_, "logs", absl::StrCat(select.ColumnInt(0)));
    }
    line.set_seq(select.ColumnInt(0));
  }
}

absl::StatusOr<std::vector<v1::MetricPoint>> SqliteStore::ReadMetrics(
    const std::string& experiment_id, const std::string& run_id) {
  ECGBENCH_RETURN_IF_ERROR(CheckRead("ReadMetrics", experiment_id, 1));
  absl::MutexLock lock(&mu_);
  Statement& select = run_id.empty() ? statements_->read_metrics : statements_->read_run_metrics;
  StatementScope scope(select);
  select.BindText(1, experiment_id);
  if (!run_id.empty()) select.BindText(2, run_id);
  std::vector<v1::MetricPoint> points;
  while (true) {
    ECGBENCH_ASSIGN_OR_RETURN(bool row, select.Step(experiment_id));
    if (!row) return points;
    const absl::string_view blob = select.ColumnBlob(0);
    if (!points.emplace_back().ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return DecodeError(path_, "metrics", absl::StrCat(select.ColumnInt(1)));
    }
  }
}

int64_t SqliteStore::SizeBytes() const {
  if (path_ == kMemoryPath) return 0;
  int64_t total = 0;
  struct stat info;
  if (stat(path_.c_str(), &info) == 0) total += info.st_size;
  if (stat((path_ + "-wal").c_str(), &info) == 0) total += info.st_size;
  return total;
}

}  // namespace ecgbench::server
