// The coordinator's token file: who may call it, with which role. One token per line,
//   <name> <role> <sha256hex>
// separated by spaces or tabs; `#` starts a comment; blank lines are ignored. <name> is the
// identity (experiment owner) — letters, digits and . _ @ - (at most 128); <role> is one of admin,
// submitter, viewer, worker; <sha256hex> is the lower-case hex SHA-256 of the token (the token
// itself is never stored). Names and hashes are unique within a file. See docs/security.md.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ecgbench::common {

enum class Role { kAdmin, kSubmitter, kViewer, kWorker };

// "admin", "submitter", "viewer", "worker".
const char* RoleName(Role role);
// INVALID_ARGUMENT `unknown role "x" (expected admin, submitter, viewer or worker)`.
absl::StatusOr<Role> ParseRole(absl::string_view text);

struct TokenEntry {
  std::string name;
  Role role = Role::kViewer;
  std::string sha256_hex;  // 64 lower-case hex digits
};

// Parses the text of a token file; `path` only names it in errors, which read
// "<path>:<line>: <reason>" (INVALID_ARGUMENT). A file without any token is an error too.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text, const std::string& path);

// Reads and parses `path` (NOT_FOUND / INVALID_ARGUMENT naming it).
absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path);

// The line to add to a token file for `token`: "<name> <role> <sha256(token)>".
std::string TokenFileLine(const std::string& name, Role role, absl::string_view token);

// Reads a token given in a file (a client's --token-file): the content without surrounding
// whitespace; INVALID_ARGUMENT naming the file when that is empty or has inner whitespace.
absl::StatusOr<std::string> ReadTokenFromFile(const std::string& path);

}  // namespace ecgbench::common
