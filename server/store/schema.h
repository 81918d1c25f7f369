// The store's schema as an ordered list of versioned migrations, and the code that brings a
// database up to the newest version this binary knows. Not thread-safe: called once at Open.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/sqlite_statement.h"

namespace ecgbench::server::sqlite {

struct Migration {
  int version;              // 1, 2, ...: strictly increasing by one
  const char* description;  // recorded in schema_version
  const char* sql;          // one or more statements
};

// All migrations, oldest first. Append new steps; never edit a released one.
const std::vector<Migration>& Migrations();

// Newest schema version this binary knows (Migrations().back().version).
int CurrentSchemaVersion();

// Creates the schema_version table if missing, then applies every migration newer than the
// database's version, each in its own transaction (BEGIN IMMEDIATE ... COMMIT) that also records
// the version. Returns the resulting version.
// Errors: FAILED_PRECONDITION when the database is newer than this binary ("<path>: database
// schema version N is newer than this binary supports (M)"); INTERNAL for SQLite failures (the
// failed step is rolled back and the database keeps its previous version).
absl::StatusOr<int> Migrate(Connection& db);

}  // namespace ecgbench::server::sqlite
