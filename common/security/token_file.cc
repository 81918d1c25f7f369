// Token file parsing.
#include "common/security/token_file.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/security/crypto.h"
#include "common/util/files.h"

namespace ecgbench::common {

namespace {

constexpr size_t kMaxNameLength = 128;

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' && c != '-') return false;
  }
  return true;
}

bool ValidHash(absl::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kSubmitter: return "submitter";
    case Role::kViewer: return "viewer";
    case Role::kWorker: return "worker";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view text) {
  for (Role r : {Role::kAdmin, Role::kSubmitter, Role::kViewer, Role::kWorker}) {
    if (text == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", text, "\" (expected admin, submitter, viewer or worker)"));
}

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text, const std::string& path) {
  std::vector<TokenEntry> entries;
  std::map<std::string, int> name_lines, hash_lines;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    const size_t hash_pos = line.find('#');
    if (hash_pos != absl::string_view::npos) line = line.substr(0, hash_pos);
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    auto error = [&](const std::string& reason) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": ", reason));
    };
    if (fields.size() != 3) {
      return error(absl::StrCat("expected \"<name> <role> <sha256hex>\", got ", fields.size(), " field",
                                fields.size() == 1 ? "" : "s"));
    }
    TokenEntry e;
    e.name = std::string(fields[0]);
    if (!ValidName(e.name)) {
      return error(absl::StrCat("name \"", e.name, "\" must be 1 to ", kMaxNameLength,
                                " letters, digits, '.', '_', '@' or '-'"));
    }
    auto role = ParseRole(fields[1]);
    if (!role.ok()) return error(std::string(role.status().message()));
    e.role = *role;
    e.sha256_hex = std::string(fields[2]);
    if (!ValidHash(e.sha256_hex)) {
      return error("the third field must be 64 lower-case hex digits (the SHA-256 of the token, not the token)");
    }
    if (auto [it, fresh] = name_lines.emplace(e.name, line_no); !fresh) {
      return error(absl::StrCat("duplicate name \"", e.name, "\" (first on line ", it->second, ")"));
    }
    if (auto [it, fresh] = hash_lines.emplace(e.sha256_hex, line_no); !fresh) {
      return error(absl::StrCat("duplicate token hash (first on line ", it->second, ")"));
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no tokens (expected lines \"<name> <role> <sha256hex>\")"));
  return entries;
}

absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTokenFile(*text, path);
}

std::string TokenFileLine(const std::string& name, Role role, absl::string_view token) {
  return absl::StrCat(name, " ", RoleName(role), " ", Sha256Hex(token));
}

absl::StatusOr<std::string> ReadTokenFromFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::string_view token = absl::StripAsciiWhitespace(*text);
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the token file is empty"));
  for (char c : token) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": expected one token (printable, no spaces)"));
    }
  }
  return std::string(token);
}

}  // namespace ecgbench::common
