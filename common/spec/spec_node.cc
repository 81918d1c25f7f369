// SpecNode helpers: lookup, error paths and a canonical form for equality.
#include "common/spec/spec_node.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common {
namespace {

void AppendCanonical(const SpecNode& node, std::string* out) {
  switch (node.kind) {
    case SpecNode::Kind::kNull:
      out->append("~");
      return;
    case SpecNode::Kind::kScalar:
      // Length-prefixed so that no scalar text can imitate structure.
      absl::StrAppend(out, node.quoted ? "'" : "s", node.text.size(), ":", node.text);
      return;
    case SpecNode::Kind::kList:
      out->append("[");
      for (const SpecNode& item : node.items) {
        AppendCanonical(item, out);
        out->append(",");
      }
      out->append("]");
      return;
    case SpecNode::Kind::kMap:
      out->append("{");
      for (const SpecEntry& entry : node.entries) {
        absl::StrAppend(out, entry.key.size(), ":", entry.key, "=");
        AppendCanonical(entry.value, out);
        out->append(",");
      }
      out->append("}");
      return;
  }
}

}  // namespace

const SpecEntry* FindEntry(const SpecNode& map, const std::string& key) {
  if (!map.IsMap()) return nullptr;
  for (const SpecEntry& entry : map.entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

SpecEntry* FindEntry(SpecNode& map, const std::string& key) {
  if (!map.IsMap()) return nullptr;
  for (SpecEntry& entry : map.entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

std::string EffectivePath(const SpecNode& node, const std::string& path) {
  return node.path_override.empty() ? path : node.path_override;
}

size_t CountValues(const SpecNode& node) {
  size_t count = 1;
  for (const SpecNode& item : node.items) count += CountValues(item);
  for (const SpecEntry& entry : node.entries) count += CountValues(entry.value);
  return count;
}

std::string CanonicalText(const SpecNode& node) {
  std::string out;
  AppendCanonical(node, &out);
  return out;
}

}  // namespace ecgbench::common
