// The one adapter between yaml-cpp (which throws) and the spec library: YAML text -> SpecNode tree.
// It also enforces the size limits that protect the coordinator from hostile specs.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/spec/spec_node.h"

namespace ecgbench::common {

struct YamlLimits {
  size_t max_text_bytes = 1 << 20;  // whole spec text
  size_t max_string_chars = 4096;   // every scalar, keys included
  size_t max_list_items = 10000;    // every list
  size_t max_map_entries = 10000;   // every mapping
  int max_depth = 64;               // nesting of lists and mappings
  size_t max_nodes = 200000;        // after alias expansion (guards against "billion laughs")
};

// Parses exactly one YAML document. Errors (InvalidArgument):
//   spec.yaml:7:3: YAML syntax error: <yaml-cpp message>
//   <key path>: <reason> (spec.yaml:<line>)   for limits, duplicate keys and non-string keys
//   spec: invalid UTF-8 at column 7 (byte 0xff) (spec.yaml:3)   (also "control character": YAML
//   text holds no control characters other than tab, LF and CR)
// An empty document yields a null node. Thread-safe (no shared state).
absl::StatusOr<SpecNode> ParseYamlTree(std::string_view text, const std::string& file_name,
                                       const YamlLimits& limits = YamlLimits());

}  // namespace ecgbench::common
