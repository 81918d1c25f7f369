// Typed reading of SpecNode values with the spec's error messages. SectionReader walks one mapping:
// every key it is asked for becomes a known key, and Finish() reports the others as unknown, with a
// "did you mean" for near misses. Readers leave the output untouched when a key is absent or
// invalid (so defaults stay), and record errors in the Diagnostics they were given.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/spec/diagnostics.h"
#include "common/spec/spec_node.h"

namespace ecgbench::common {

struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::string Describe() const;  // "an integer >= 1", "an integer in 0..100"
};

struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  bool min_open = false;  // true: min itself is excluded
  double max = std::numeric_limits<double>::infinity();
  bool max_open = false;
  std::string Describe() const;  // "a positive number", "a number >= 0", "a number in [0, 1)"
};

// "got ..." text: null, a list, a mapping, a bare number/bool, or a quoted string.
std::string DescribeNode(const SpecNode& node);

// "<path>.<key>", or just key at the top level.
std::string JoinPath(const std::string& path, std::string_view key);

// Node-level readers: validate `node` (reported as `path`, honouring its override) and store the
// value in *out. Return false (after recording an error) when the value is invalid.
bool ReadInt(const SpecNode& node, const std::string& path, IntRange range, int64_t* out,
             Diagnostics* diag);
bool ReadNumber(const SpecNode& node, const std::string& path, NumberRange range, double* out,
                Diagnostics* diag);
bool ReadBool(const SpecNode& node, const std::string& path, bool* out, Diagnostics* diag);
bool ReadString(const SpecNode& node, const std::string& path, std::string* out, Diagnostics* diag);
bool ReadEnum(const SpecNode& node, const std::string& path,
              const std::vector<std::string>& allowed, std::string* out, Diagnostics* diag);
// Bytes: an integer, or a string such as "8GiB", "512 MiB", "1.5GB" (B, kB/KB, MB, GB, TB, KiB,
// MiB, GiB, TiB; case-insensitive), at most 1 PiB.
bool ReadBytes(const SpecNode& node, const std::string& path, int64_t* out, Diagnostics* diag);
// A list of enum values (a single scalar is not accepted): non-empty, no duplicates.
bool ReadEnumList(const SpecNode& node, const std::string& path,
                  const std::vector<std::string>& allowed, std::vector<std::string>* out,
                  Diagnostics* diag);

class SectionReader {
 public:
  // `node` is a mapping or null (read as an empty mapping); anything else records
  // "expected a mapping" and reads as empty. `line` is reported for missing keys (the line of
  // the key that holds this mapping). `diag` must outlive the reader.
  SectionReader(const SpecNode& node, const std::string& path, int line, Diagnostics* diag);

  const SpecNode& node() const { return node_; }
  bool is_map() const { return is_map_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }
  Diagnostics* diag() const { return diag_; }

  // The value of `key` (nullptr when absent); `key` becomes a known key.
  const SpecNode* Get(std::string_view key);
  // Marks a key as known without reading it.
  void Allow(std::string_view key);
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  // Line of the key itself (this mapping's line when absent).
  int KeyLine(std::string_view key) const;

  // Records "<path>.<key>: required key missing" when `key` is absent; returns presence.
  bool Require(std::string_view key);

  // Typed helpers; each returns true when the key is present (valid or not).
  bool Int(std::string_view key, IntRange range, int* out);
  bool Int64(std::string_view key, IntRange range, int64_t* out);
  bool Number(std::string_view key, NumberRange range, double* out);
  bool Bool(std::string_view key, bool* out);
  bool String(std::string_view key, std::string* out);
  bool Enum(std::string_view key, const std::vector<std::string>& allowed, std::string* out);
  bool IntEnum(std::string_view key, const std::vector<int>& allowed, int* out);
  bool Bytes(std::string_view key, int64_t* out);
  bool EnumList(std::string_view key, const std::vector<std::string>& allowed,
                std::vector<std::string>* out);

  // Reports every key that was never asked for. Call once, after all Get()s.
  void Finish();

 private:
  const SpecNode& node_;
  std::string path_;
  int line_;
  Diagnostics* diag_;
  bool is_map_;
  std::vector<std::string> known_;
};

// A key that takes either a mapping or true/false (e.g. `lora: false`). Returns the mapping node to
// read with a nested SectionReader, or nullptr when the key is absent or was a scalar (a bool is
// stored in *enabled; anything else records "expected a mapping, true or false").
const SpecNode* ReadToggleOrMapping(SectionReader& r, std::string_view key, bool* enabled);

}  // namespace ecgbench::common
