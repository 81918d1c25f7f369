// SpecNode: the YAML document of an experiment spec as a plain, copyable tree with 1-based line
// numbers. yaml_adapter.cc builds it from yaml-cpp; everything else in the spec library reads only
// this tree, so matrix substitution is a value copy and no yaml-cpp type or exception leaks out.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ecgbench::common {

struct SpecEntry;

struct SpecNode {
  enum class Kind { kNull, kScalar, kList, kMap };

  Kind kind = Kind::kNull;
  std::string text;     // kScalar: the scalar as written (without quotes)
  bool quoted = false;  // kScalar: written quoted or as a block scalar (never a number or a bool)
  int line = 1;         // 1-based line of the value (of the owning key for a null value)
  std::vector<SpecNode> items;     // kList
  std::vector<SpecEntry> entries;  // kMap, in document order
  // Non-empty: errors inside this subtree name this path (and paths below it) instead of the path
  // where the node sits. Set on values substituted from `matrix:`, e.g. "matrix.representation[1]".
  std::string path_override;

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsList() const { return kind == Kind::kList; }
  bool IsMap() const { return kind == Kind::kMap; }
};

struct SpecEntry {
  std::string key;
  int key_line = 1;
  SpecNode value;
  // Non-empty: the key was added by matrix substitution; an unknown-key error names this path
  // (e.g. "matrix.train.lrr") instead of the key's place in the spec.
  std::string key_path_override;
};

// The entry with `key` in a mapping node, or nullptr (also for a non-mapping node).
const SpecEntry* FindEntry(const SpecNode& map, const std::string& key);
SpecEntry* FindEntry(SpecNode& map, const std::string& key);

// The path errors about `node` use: its override when set, else `path`.
std::string EffectivePath(const SpecNode& node, const std::string& path);

// Number of values (nodes) in a subtree, the subtree's root included.
size_t CountValues(const SpecNode& node);

// Canonical text of a subtree without lines or overrides (for comparing matrix values).
std::string CanonicalText(const SpecNode& node);

}  // namespace ecgbench::common
