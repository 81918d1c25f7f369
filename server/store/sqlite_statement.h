// Thin RAII wrappers over the SQLite C API used by the store: an owned connection, a prepared
// statement (finalized on destruction, reused across calls), and errors that name the database
// path and the statement. Not thread-safe: the owner serializes access.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ecgbench::server::sqlite {

// INTERNAL error "<path>: <what>: <sqlite message of db>".
absl::Status Error(const std::string& path, absl::string_view what, sqlite3* db);

// Owns one sqlite3 connection; closes it on destruction. Move-only.
class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens (creating if missing) the database file at `path`; the parent directory must exist.
  // Errors: INTERNAL "<path>: cannot open: <reason>".
  static absl::StatusOr<Connection> Open(const std::string& path);

  // Runs one or more SQL statements that return no rows we need. `what` names them in errors.
  absl::Status Exec(absl::string_view what, const std::string& sql);

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Bind parameters (1-based), Step through rows, Reset before reuse. Text
// and blobs are bound without copying: the bound memory must stay valid until Reset. Move-only.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // `name` is a short description used in error messages ("upsert experiment").
  static absl::StatusOr<Statement> Prepare(const Connection& db, std::string name,
                                           absl::string_view sql);

  void BindInt(int index, int64_t value);
  void BindText(int index, absl::string_view value);        // empty binds ''
  void BindTextOrNull(int index, absl::string_view value);  // empty binds NULL
  void BindBlob(int index, absl::string_view value);
  void BindNull(int index);

  // true: a row is available; false: done. Errors name the path, the statement and `detail`
  // (e.g. the id being written) when given.
  absl::StatusOr<bool> Step(absl::string_view detail = {});
  // Steps to completion, ignoring rows; then resets.
  absl::Status Run(absl::string_view detail = {});
  // Resets the statement and clears its bindings (ends any read it holds open).
  void Reset();

  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;
  // Valid until the next Step or Reset.
  absl::string_view ColumnBlob(int column) const;
  absl::string_view ColumnText(int column) const;

  const std::string& name() const { return name_; }

 private:
  void NoteBind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  std::string path_;
  std::string name_;
  int bind_error_ = 0;  // first failing sqlite3_bind_* result code since the last Reset
};

// Resets a statement when leaving a scope, so a cached SELECT never keeps a read open.
class StatementScope {
 public:
  explicit StatementScope(Statement& statement) : statement_(statement) {}
  ~StatementScope() { statement_.Reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  Statement& statement_;
};

}  // namespace ecgbench::server::sqlite
