// Store schema and opening: a fresh file is at the newest version, a v1 file (made with raw SQL,
// frozen here as released) migrates with its data intact, a failed step is rolled back, a newer
// schema is refused, and unusable files give errors that name the path.
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace ecgbench::server {
namespace {

using ::ecgbench::server::testing::EqualsProto;
using ::ecgbench::server::testing::ExecRaw;
using ::ecgbench::server::testing::QueryRaw;
using ::testing::ElementsAre;

// Schema version 1 exactly as released; never edit.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_unix_ms INTEGER NOT NULL);
CREATE TABLE experiments (id TEXT PRIMARY KEY NOT NULL, request_id TEXT UNIQUE,
  name TEXT NOT NULL, state INTEGER NOT NULL, priority INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE runs (id TEXT PRIMARY KEY NOT NULL, experiment_id TEXT NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE stages (id TEXT PRIMARY KEY NOT NULL, experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL, record BLOB NOT NULL);
CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, experiment_id TEXT NOT NULL,
  stage_id TEXT NOT NULL, state INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE attempts (id TEXT PRIMARY KEY NOT NULL, task_id TEXT NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE workers (id TEXT PRIMARY KEY NOT NULL, state INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, experiment_id TEXT NOT NULL,
  time_unix_ms INTEGER NOT NULL, event BLOB NOT NULL);
CREATE TABLE logs (seq INTEGER PRIMARY KEY AUTOINCREMENT, experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL, stage_id TEXT NOT NULL, stage_kind TEXT NOT NULL, task_id TEXT NOT NULL,
  rank INTEGER NOT NULL, level INTEGER NOT NULL, line BLOB NOT NULL);
CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, experiment_id TEXT NOT NULL,
  run_id TEXT NOT NULL, name TEXT NOT NULL, point BLOB NOT NULL);
CREATE TABLE kv (attempt_id TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY (attempt_id, key));
INSERT INTO schema_version VALUES (1, 'initial schema', 0);
)sql";

std::string Hex(const google::protobuf::Message& message) {
  return absl::StrCat("X'", absl::BytesToHexString(message.SerializeAsString()), "'");
}

class StoreSchemaTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("coordinator.db"); }
  testing::TempDir dir_;
};

TEST_F(StoreSchemaTest, FreshDatabaseIsAtNewestVersion) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->SchemaVersion(), 2);
  EXPECT_EQ(QueryRaw(Path(), "SELECT group_concat(version, ',') FROM schema_version"), "1,2");
  EXPECT_EQ(QueryRaw(Path(),
                     "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                     "('events_by_experiment', 'logs_by_experiment', 'metrics_by_run')"),
            "3");
}

TEST_F(StoreSchemaTest, MigratesVersion1AndKeepsData) {
  const store::ExperimentRecord experiment = testing::MakeExperiment("e1", "req-1", 1);
  const v1::Event event = testing::MakeEvent("e1", 1);
  ExecRaw(Path(), kSchemaV1);
  ExecRaw(Path(), absl::StrCat("INSERT INTO experiments VALUES ('e1', 'req-1', 'experiment 1', 2, "
                               "1, 1700000000001, ",
                               Hex(experiment), ");",
                               "INSERT INTO events (experiment_id, time_unix_ms, event) VALUES "
                               "('e1', 1700000000001, ",
                               Hex(event), ");", "INSERT INTO kv VALUES ('a1', 'k', X'00ff');"));

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->SchemaVersion(), 2);
  EXPECT_EQ(QueryRaw(Path(), "SELECT group_concat(description, '; ') FROM schema_version"),
            "initial schema; indexes for event, log and metric reads");
  EXPECT_EQ(QueryRaw(Path(),
                     "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                     "name = 'logs_by_experiment'"),
            "1");

  absl::StatusOr<StoreSnapshot> snapshot = (*store)->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_THAT(snapshot->experiments, ElementsAre(EqualsProto(experiment)));
  ASSERT_EQ(snapshot->kv.size(), 1u);
  EXPECT_EQ(snapshot->kv[0].value, std::string("\0\xff", 2));
  EXPECT_EQ(snapshot->max_event_seq, 1);

  WriteBatch batch;  // numbering continues after the migrated rows
  batch.events = {testing::MakeEvent("e1", 2)};
  ASSERT_TRUE((*store)->Commit(batch).ok());
  EXPECT_EQ(batch.events[0].seq(), 2);
  absl::StatusOr<std::vector<v1::Event>> events = (*store)->ReadEvents("e1", 0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  v1::Event first = event;
  first.set_seq(1);
  EXPECT_THAT(*events, ElementsAre(EqualsProto(first), EqualsProto(batch.events[0])));
}

TEST_F(StoreSchemaTest, FailedMigrationStepIsRolledBack) {
  ExecRaw(Path(), kSchemaV1);
  // Occupies a name that step 2 creates after its first index.
  ExecRaw(Path(), "CREATE TABLE logs_by_experiment (x INTEGER)");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  EXPECT_EQ(store.status(),
            absl::InternalError(
                absl::StrCat(Path(),
                             ": migration to schema version 2 (indexes for event, log and metric "
                             "reads): there is already a table named logs_by_experiment")));
  EXPECT_EQ(QueryRaw(Path(), "SELECT MAX(version) FROM schema_version"), "1");
  EXPECT_EQ(QueryRaw(Path(),
                     "SELECT count(*) FROM sqlite_master WHERE name = "
                     "'events_by_experiment'"),
            "0");
}

TEST_F(StoreSchemaTest, RefusesNewerSchema) {
  ASSERT_TRUE(Store::Open(Path()).ok());
  ExecRaw(Path(), "INSERT INTO schema_version VALUES (3, 'from the future', 0)");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  EXPECT_EQ(store.status(),
            absl::FailedPreconditionError(
                absl::StrCat(Path(),
                             ": database schema version 3 is newer than this binary supports (2); "
                             "use a newer ecgbench-coordinator")));
}

TEST_F(StoreSchemaTest, CorruptFileIsAClearError) {
  {
    std::ofstream out(Path(), std::ios::binary);
    for (int i = 0; i < 200; ++i) out << "this is not a database\n";
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  EXPECT_EQ(store.status(), absl::InternalError(absl::StrCat(
                                Path(), ": cannot read database: file is not a database")));
}

TEST_F(StoreSchemaTest, UndecodableRecordIsAClearError) {
  ASSERT_TRUE(Store::Open(Path()).ok());
  // A truncated varint tag: no protobuf message parses from it.
  ExecRaw(Path(), "INSERT INTO tasks VALUES ('t9', 'e1', 's1', 1, X'FFFFFFFF')");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Load().status(),
            absl::InternalError(
                absl::StrCat(Path(), ": cannot decode row t9 of table tasks (corrupt record)")));
  // The failed Load ended its read transaction: writes still work.
  WriteBatch batch;
  batch.events = {testing::MakeEvent("e1", 1)};
  EXPECT_TRUE((*store)->Commit(batch).ok());
}

TEST_F(StoreSchemaTest, MissingDirectoryIsAClearError) {
  const std::string path = dir_.File("missing/coordinator.db");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  EXPECT_EQ(store.status(),
            absl::InternalError(absl::StrCat(path, ": cannot open: unable to open database file")));
  EXPECT_EQ(Store::Open("").status(), absl::InvalidArgumentError("store: database path is empty"));
}

}  // namespace
}  // namespace ecgbench::server
