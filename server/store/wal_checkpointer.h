// WalCheckpointer: WAL checkpoints of the store's database on a thread of their own, over a
// connection of their own. SQLite's automatic checkpoint runs inside the commit that crosses the
// threshold: that commit copies the WAL into the database file and waits for two fdatasyncs while
// the coordinator's state machine waits for it. Here the committing connection's WAL hook tells
// this thread how long the WAL is, and PASSIVE checkpoints (which never block writers) copy it
// beside the commits. SQLite starts the WAL over only when a writer finds it fully copied, which
// under a steady stream of commits never happens on its own: at 4x the threshold the committing
// connection checkpoints the (by then short) rest itself, as SQLite's own hook does on every
// threshold, so the WAL stays bounded and one commit in many pays for a short copy and the syncs.
// Durability is unchanged: a commit is in the WAL when Commit returns.
//
// Thread-safe: Notify is called inside the commits of the one hooked connection (serialized by
// its owner) and only signals the thread; construction and destruction from the owner.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/store/sqlite_statement.h"

namespace ecgbench::server::sqlite {

class WalCheckpointer {
 public:
  // Opens a second connection to `path` (a WAL-mode database, not ":memory:") and starts the
  // thread. A checkpoint starts when the WAL reaches `threshold_pages`. Errors: INTERNAL naming
  // the path when the connection cannot be opened.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(const std::string& path, int threshold_pages);
  // Stops the thread (a checkpoint in progress finishes first).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Installs this as `db`'s WAL hook, which also turns off db's automatic checkpoints. `db` must
  // be closed or unhooked before this object is destroyed.
  void Hook(sqlite3* db);
  // The WAL now holds `wal_pages` pages (called by the hook after each commit; calls must not
  // overlap). True: past the cap, the committing connection should checkpoint the rest itself.
  bool Notify(int wal_pages);

 private:
  WalCheckpointer(Connection connection, int threshold_pages);
  void Loop();

  const int threshold_pages_;
  const int cap_pages_;
  int next_round_pages_;   // Notify only: WAL length at which the next background round starts
  Connection connection_;  // used by the thread only
  absl::Mutex mu_;
  bool due_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ecgbench::server::sqlite
