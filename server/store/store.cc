// Store's static factory (SQLite is the only implementation) and WriteBatch helpers.
#include "server/store/store.h"

#include "server/store/sqlite_store.h"

namespace ecgbench::server {

bool WriteBatch::empty() const {
  return experiments.empty() && runs.empty() && stages.empty() && tasks.empty() &&
         attempts.empty() && workers.empty() && events.empty() && logs.empty() && metrics.empty() &&
         kv.empty() && kv_delete_attempts.empty();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace ecgbench::server
