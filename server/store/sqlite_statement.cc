// SQLite connection and prepared-statement wrappers: ownership, binding and error messages.
#include "server/store/sqlite_statement.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace ecgbench::server::sqlite {

absl::Status Error(const std::string& path, absl::string_view what, sqlite3* db) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return absl::InternalError(absl::StrCat(path, ": ", what, ": ", message));
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::~Connection() {
  // sqlite3_close_v2 defers the close until every statement is finalized, so member order in the
  // owner does not matter.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

absl::StatusOr<Connection> Connection::Open(const std::string& path) {
  Connection connection;
  connection.path_ = path;
  // NOMUTEX: the store serializes every call itself.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &connection.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // The handle (if any) is closed by the destructor; read the message first.
    return Error(path, "cannot open", connection.db_);
  }
  sqlite3_extended_result_codes(connection.db_, 1);
  return connection;
}

absl::Status Connection::Exec(absl::string_view what, const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(path_, what, db_);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Statement

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

absl::StatusOr<Statement> Statement::Prepare(const Connection& db, std::string name,
                                             absl::string_view sql) {
  Statement statement;
  statement.db_ = db.get();
  statement.path_ = db.path();
  statement.name_ = std::move(name);
  const int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement.stmt_, nullptr);
  if (rc != SQLITE_OK) {
    return Error(db.path(), absl::StrCat("cannot prepare ", statement.name_), db.get());
  }
  return statement;
}

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::BindInt(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::BindText(int index, absl::string_view value) {
  NoteBind(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                               SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::BindTextOrNull(int index, absl::string_view value) {
  if (value.empty()) {
    BindNull(index);
  } else {
    BindText(index, value);
  }
}

void Statement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob with a null pointer would bind NULL; use "" to keep it a blob.
  NoteBind(sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                               SQLITE_STATIC));
}

void Statement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index)); }

absl::StatusOr<bool> Statement::Step(absl::string_view detail) {
  if (bind_error_ != 0) {
    return absl::InternalError(
        absl::StrCat(path_, ": ", name_, detail.empty() ? "" : " ", detail,
                     ": cannot bind parameter: ", sqlite3_errstr(bind_error_)));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(path_, absl::StrCat(name_, detail.empty() ? "" : " ", detail), db_);
}

absl::Status Statement::Run(absl::string_view detail) {
  StatementScope scope(*this);
  while (true) {
    absl::StatusOr<bool> row = Step(detail);
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error code; that error was already reported by Step.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::string_view Statement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return absl::string_view(static_cast<const char*>(data), static_cast<size_t>(size));
}

absl::string_view Statement::ColumnText(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return absl::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace ecgbench::server::sqlite
