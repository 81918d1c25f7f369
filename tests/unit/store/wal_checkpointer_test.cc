// WalCheckpointer: under a steady stream of commits on another connection the WAL stays bounded
// (the background checkpoints copy it and it starts over), and every committed row ends up in the
// database; the store's own file keeps working across a reopen with the checkpointer in place.
#include "server/store/wal_checkpointer.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace ecgbench::server {
namespace {

int64_t FileBytes(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : 0;
}

TEST(WalCheckpointerTest, WalStaysBoundedAndNothingIsLost) {
  testing::TempDir dir;
  const std::string path = dir.File("wal.db");
  constexpr int kRows = 1000;
  {
    absl::StatusOr<sqlite::Connection> db = sqlite::Connection::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    sqlite3_busy_timeout(db->get(), 5000);
    ASSERT_TRUE(db->Exec("setup", "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                  "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());
    absl::StatusOr<std::unique_ptr<sqlite::WalCheckpointer>> checkpointer = sqlite::WalCheckpointer::Start(path, 16);
    ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
    (*checkpointer)->Hook(db->get());
    absl::StatusOr<sqlite::Statement> insert = sqlite::Statement::Prepare(*db, "insert", "INSERT INTO t (v) VALUES (?1)");
    ASSERT_TRUE(insert.ok()) << insert.status();
    const std::string blob(3000, 'x');  // about one page per commit
    for (int i = 0; i < kRows; ++i) {
      insert->BindBlob(1, blob);
      ASSERT_TRUE(insert->Run().ok()) << "row " << i;
      // A steady stream, as the coordinator's, rather than one burst: room for the syncs.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    // Without checkpoints the WAL would hold every commit: kRows pages (about 4 MB). With them it
    // starts over each time it passes 4 x 16 pages and the background round of the moment ends.
    EXPECT_LT(FileBytes(path + "-wal"), int64_t{kRows} * 4096 / 2);
    insert = sqlite::Statement();
    *db = sqlite::Connection();  // closes (and unhooks) before the checkpointer goes
  }
  absl::StatusOr<sqlite::Connection> reader = sqlite::Connection::Open(path);
  ASSERT_TRUE(reader.ok());
  absl::StatusOr<sqlite::Statement> count = sqlite::Statement::Prepare(*reader, "count", "SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  absl::StatusOr<bool> row = count->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(count->ColumnInt(0), kRows);
}

TEST(WalCheckpointerTest, StoreCommitsSurviveReopenWithTheCheckpointer) {
  testing::TempDir dir;
  const std::string path = dir.File("coordinator.db");
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 200; ++i) {
      WriteBatch batch;
      batch.experiments.push_back(testing::MakeExperiment(absl::StrCat("e", i), absl::StrCat("req-", i), i));
      batch.events.push_back(testing::MakeEvent(absl::StrCat("e", i), i));
      ASSERT_TRUE((*store)->Commit(batch).ok()) << i;
    }
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<StoreSnapshot> snapshot = (*store)->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->experiments.size(), 200u);
  EXPECT_EQ(snapshot->max_event_seq, 200);
}

}  // namespace
}  // namespace ecgbench::server
