// WalCheckpointer: PASSIVE WAL checkpoints on a background thread with their own connection.
#include "server/store/wal_checkpointer.h"

#include <sqlite3.h>

#include <utility>

#include "spdlog/spdlog.h"

namespace ecgbench::server::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int kCapFactor = 4;  // the committing connection copies the rest at 4x the threshold

int WalHook(void* self, sqlite3* db, const char* schema, int wal_pages) {
  if (static_cast<WalCheckpointer*>(self)->Notify(wal_pages)) {
    // Past the cap: the background rounds have copied most of the WAL; copy the rest here, as
    // SQLite's own hook would, so that the next commit finds it all copied and starts it over.
    // BUSY (a background round is still running): the next commit tries again.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                         int threshold_pages) {
  absl::StatusOr<Connection> connection = Connection::Open(path);
  if (!connection.ok()) return connection.status();
  sqlite3_busy_timeout(connection->get(), kBusyTimeoutMs);
  // A connection learns that the file is in WAL mode on its first read; until then a checkpoint
  // is a no-op.
  absl::Status read = connection->Exec("cannot read database", "SELECT count(*) FROM sqlite_master");
  if (!read.ok()) return read;
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(*std::move(connection), threshold_pages));
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

WalCheckpointer::WalCheckpointer(Connection connection, int threshold_pages)
    : threshold_pages_(threshold_pages),
      cap_pages_(kCapFactor * threshold_pages),
      next_round_pages_(threshold_pages),
      connection_(std::move(connection)) {}

WalCheckpointer::~WalCheckpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::Hook(sqlite3* db) { sqlite3_wal_hook(db, &WalHook, this); }

bool WalCheckpointer::Notify(int wal_pages) {
  if (wal_pages < threshold_pages_) {
    next_round_pages_ = threshold_pages_;  // the WAL started over
    return false;
  }
  if (wal_pages >= cap_pages_) return true;
  if (wal_pages < next_round_pages_) return false;
  // One background round per threshold's worth of new pages: each ends with two syncs.
  next_round_pages_ = wal_pages + threshold_pages_;
  absl::MutexLock lock(&mu_);
  due_ = true;
  return false;
}

void WalCheckpointer::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return due_ || stopping_; };
      mu_.Await(absl::Condition(&wake));
      if (stopping_) return;
      due_ = false;
    }
    // PASSIVE: copies what it can and never holds a commit back.
    const int rc = sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    // BUSY: another checkpoint is running; the next commit past the threshold asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("{}: WAL checkpoint failed: {} (the WAL keeps growing until one succeeds)", connection_.path(),
                   sqlite3_errmsg(connection_.get()));
    }
  }
}

}  // namespace ecgbench::server::sqlite
