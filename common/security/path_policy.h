// PathPolicy: which file-system paths an experiment spec may name. A policy is a list of allowed
// roots (absolute directories, e.g. /data, /models, the artifact root); a path is allowed when it
// lies under one of them, compared component by component (so /data2 is not under /data). An
// empty list of roots means "unconfined": every path passes unchanged (the embedded `ecgbench run`
// and a coordinator on loopback without --data-root). docs/security.md describes the rules.
//
// Two checks, one per side of the cluster:
//  - CheckLexical (coordinator, at submit): text only, no file-system access. A path with a `..`
//    component is refused even when it would stay inside; a relative path is taken relative to
//    the FIRST root; the result must lie under a root. Returns the normalized absolute path.
//  - CheckResolved (worker, before a stage runs): the lexical check, then the path and the roots
//    are resolved on this machine with their symbolic links followed (weakly_canonical), and the
//    resolved path must lie under a resolved root. A relative path is refused: the worker opens a
//    spec's path as written, i.e. relative to its working directory, not to a root.
//
// Errors name the spec field and the reason:
//   INVALID_ARGUMENT   data.root: "/data/../etc" contains '..'
//   INVALID_ARGUMENT   data.root: "ptb-xl" is relative; ...   (CheckResolved only)
//   PERMISSION_DENIED  model.llm.path: /etc is outside the allowed roots (/data, /models)
//   PERMISSION_DENIED  data.root: /data/link resolves to /etc, outside the allowed roots (/data)
// i.e. INVALID_ARGUMENT for a path that is malformed for the policy, PERMISSION_DENIED for a
// well-formed path that leads outside the roots.
//
// Copyable value; thread-safe (const methods only). A check is not atomic with the later open: a
// symbolic link created under a root after CheckResolved is not seen (the roots' owners decide who
// may create links there).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ecgbench::common {

class PathPolicy {
 public:
  // Unconfined.
  PathPolicy() = default;

  // A policy allowing `roots`. Each root must be a non-empty absolute path without `..`; roots are
  // normalized (repeated '/', '.' components and a trailing '/' dropped) and duplicates removed,
  // keeping the first occurrence (the first root anchors relative paths). No file-system access.
  // Errors: INVALID_ARGUMENT, e.g. `"data" is not an absolute path` (callers prefix the flag).
  static absl::StatusOr<PathPolicy> Create(const std::vector<std::string>& roots);

  bool confined() const { return !roots_.empty(); }
  // The normalized roots, in the order given.
  const std::vector<std::string>& roots() const { return roots_; }
  // "/data, /models" (for messages and logs).
  std::string RootsText() const;

  // The coordinator's check of `path` (the value of spec field `field`). Unconfined: `path` as it
  // is. Otherwise the normalized absolute path (relative paths under the first root).
  // An empty path is not a path: callers skip unset fields.
  absl::StatusOr<std::string> CheckLexical(absl::string_view field, const std::string& path) const;

  // The worker's check: CheckLexical for absolute paths, then the symlink-resolved path must lie
  // under a resolved root. Returns the resolved path (unconfined: `path` as it is).
  absl::StatusOr<std::string> CheckResolved(absl::string_view field, const std::string& path) const;

 private:
  explicit PathPolicy(std::vector<std::string> roots) : roots_(std::move(roots)) {}

  std::vector<std::string> roots_;
};

// Lexical normalization of an absolute path: repeated '/' and '.' components and a trailing '/'
// dropped ("/a//./b/" -> "/a/b", "/" stays "/"). REQUIRES: `path` starts with '/'. `..` is kept.
std::string NormalizeAbsolutePath(absl::string_view path);

// True when normalized absolute `path` equals `root` or lies below it, component-wise.
bool IsUnderRoot(absl::string_view path, absl::string_view root);

}  // namespace ecgbench::common
