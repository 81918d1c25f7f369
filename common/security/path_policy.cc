// PathPolicy: lexical and symlink-resolved confinement of spec paths to the allowed roots.
#include "common/security/path_policy.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ecgbench::common {
namespace {

bool HasDotDot(absl::string_view path) {
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") return true;
  }
  return false;
}

// The textual problems of a spec path: NUL characters and `..` components.
absl::Status CheckText(absl::string_view what, absl::string_view path) {
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": path contains a NUL character"));
  }
  if (HasDotDot(path)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", path, "\" contains '..'"));
  }
  return absl::OkStatus();
}

// weakly_canonical without exceptions: symbolic links of the existing prefix resolved.
absl::StatusOr<std::string> Resolve(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(path, ec);
  if (ec) return absl::InvalidArgumentError(ec.message());
  return NormalizeAbsolutePath(resolved.string());
}

}  // namespace

std::string NormalizeAbsolutePath(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    out += '/';
    out.append(part.data(), part.size());
  }
  if (out.empty()) out = "/";
  return out;
}

bool IsUnderRoot(absl::string_view path, absl::string_view root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  if (path.size() < root.size() || path.substr(0, root.size()) != root) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

absl::StatusOr<PathPolicy> PathPolicy::Create(const std::vector<std::string>& roots) {
  std::vector<std::string> normalized;
  for (const std::string& root : roots) {
    if (root.empty()) return absl::InvalidArgumentError("an empty path is not a root");
    if (root.find('\0') != std::string::npos) return absl::InvalidArgumentError("a root contains a NUL character");
    if (HasDotDot(root)) return absl::InvalidArgumentError(absl::StrCat("\"", root, "\" contains '..'"));
    if (root[0] != '/') return absl::InvalidArgumentError(absl::StrCat("\"", root, "\" is not an absolute path"));
    std::string n = NormalizeAbsolutePath(root);
    bool seen = false;
    for (const std::string& r : normalized) seen = seen || r == n;
    if (!seen) normalized.push_back(std::move(n));
  }
  return PathPolicy(std::move(normalized));
}

std::string PathPolicy::RootsText() const { return absl::StrJoin(roots_, ", "); }

absl::StatusOr<std::string> PathPolicy::CheckLexical(absl::string_view field, const std::string& path) const {
  if (!confined()) return path;
  if (absl::Status text = CheckText(field, path); !text.ok()) return text;
  const std::string absolute =
      path.empty() || path[0] != '/' ? NormalizeAbsolutePath(absl::StrCat(roots_[0], "/", path))
                                     : NormalizeAbsolutePath(path);
  for (const std::string& root : roots_) {
    if (IsUnderRoot(absolute, root)) return absolute;
  }
  return absl::PermissionDeniedError(
      absl::StrCat(field, ": ", path, " is outside the allowed roots (", RootsText(), ")"));
}

absl::StatusOr<std::string> PathPolicy::CheckResolved(absl::string_view field, const std::string& path) const {
  if (!confined()) return path;
  if (absl::Status text = CheckText(field, path); !text.ok()) return text;
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", path, "\" is relative; only absolute paths can be checked against the allowed roots (",
        RootsText(), ")"));
  }
  absl::StatusOr<std::string> lexical = CheckLexical(field, path);
  if (!lexical.ok()) return lexical.status();
  absl::StatusOr<std::string> resolved = Resolve(*lexical);
  if (!resolved.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", path, " cannot be resolved: ", resolved.status().message()));
  }
  for (const std::string& root : roots_) {
    // A root that cannot be resolved (missing, unreadable) is compared as written.
    absl::StatusOr<std::string> resolved_root = Resolve(root);
    if (IsUnderRoot(*resolved, resolved_root.ok() ? *resolved_root : root)) return *resolved;
  }
  return absl::PermissionDeniedError(absl::StrCat(field, ": ", path, " resolves to ", *resolved,
                                                  ", outside the allowed roots (", RootsText(), ")"));
}

}  // namespace ecgbench::common
