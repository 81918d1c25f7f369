// Typed value readers and the unknown-key check; the wording of every type error lives here.
#include "common/spec/value_reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/spec/did_you_mean.h"

namespace ecgbench::common {
namespace {

constexpr size_t kMaxQuotedChars = 60;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [+-]digits
bool IsIntegerText(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// [+-](digits[.digits*] | .digits)([eE][+-]digits)?  -- no inf, nan, hex or underscores.
bool IsNumberText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

bool IsBoolText(std::string_view s) {
  return s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE";
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  const bool truncate = text.size() > kMaxQuotedChars;
  if (truncate) {
    // Cut at a character boundary: never between the bytes of one UTF-8 sequence.
    size_t end = kMaxQuotedChars - 3;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  if (truncate) out += "...";
  out += "\"";
  return out;
}

std::string FormatNumber(double value) { return absl::StrCat(value); }

void TypeError(const SpecNode& node, const std::string& path, const std::string& expected,
               Diagnostics* diag) {
  diag->Error(EffectivePath(node, path), node.line,
              absl::StrCat("expected ", expected, ", got ", DescribeNode(node)));
}

}  // namespace

std::string IntRange::Describe() const {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (min == kMin && max == kMax) return "an integer";
  if (max == kMax) return absl::StrCat("an integer >= ", min);
  if (min == kMin) return absl::StrCat("an integer <= ", max);
  return absl::StrCat("an integer in ", min, "..", max);
}

std::string NumberRange::Describe() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (!has_min && !has_max) return "a number";
  if (has_min && !has_max) {
    if (min == 0 && min_open) return "a positive number";
    return absl::StrCat("a number ", min_open ? "> " : ">= ", FormatNumber(min));
  }
  if (!has_min) return absl::StrCat("a number ", max_open ? "< " : "<= ", FormatNumber(max));
  return absl::StrCat("a number in ", min_open ? "(" : "[", FormatNumber(min), ", ",
                      FormatNumber(max), max_open ? ")" : "]");
}

std::string DescribeNode(const SpecNode& node) {
  switch (node.kind) {
    case SpecNode::Kind::kNull:
      return "null";
    case SpecNode::Kind::kList:
      return node.items.empty() ? "an empty list" : "a list";
    case SpecNode::Kind::kMap:
      return "a mapping";
    case SpecNode::Kind::kScalar:
      break;
  }
  if (!node.quoted && (IsNumberText(node.text) || IsBoolText(node.text))) return node.text;
  return Quote(node.text);
}

std::string JoinPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", std::string(key));
}

bool ReadInt(const SpecNode& node, const std::string& path, IntRange range, int64_t* out,
             Diagnostics* diag) {
  int64_t value = 0;
  if (!node.IsScalar() || !IsIntegerText(node.text) || !absl::SimpleAtoi(node.text, &value) ||
      value < range.min || value > range.max) {
    TypeError(node, path, range.Describe(), diag);
    return false;
  }
  *out = value;
  return true;
}

bool ReadNumber(const SpecNode& node, const std::string& path, NumberRange range, double* out,
                Diagnostics* diag) {
  double value = 0;
  const bool parsed = node.IsScalar() && IsNumberText(node.text) &&
                      absl::SimpleAtod(node.text, &value) && std::isfinite(value);
  const bool below = range.min_open ? value <= range.min : value < range.min;
  const bool above = range.max_open ? value >= range.max : value > range.max;
  if (!parsed || below || above) {
    TypeError(node, path, range.Describe(), diag);
    return false;
  }
  *out = value;
  return true;
}

bool ReadBool(const SpecNode& node, const std::string& path, bool* out, Diagnostics* diag) {
  if (!node.IsScalar() || node.quoted || !IsBoolText(node.text)) {
    TypeError(node, path, "true or false", diag);
    return false;
  }
  *out = absl::AsciiStrToLower(node.text) == "true";
  return true;
}

bool ReadString(const SpecNode& node, const std::string& path, std::string* out,
                Diagnostics* diag) {
  if (!node.IsScalar() || node.text.empty()) {
    TypeError(node, path, "a non-empty string", diag);
    return false;
  }
  *out = node.text;
  return true;
}

bool ReadEnum(const SpecNode& node, const std::string& path,
              const std::vector<std::string>& allowed, std::string* out, Diagnostics* diag) {
  if (!node.IsScalar() || std::find(allowed.begin(), allowed.end(), node.text) == allowed.end()) {
    TypeError(node, path, absl::StrCat("one of ", absl::StrJoin(allowed, "|")), diag);
    return false;
  }
  *out = node.text;
  return true;
}

bool ReadBytes(const SpecNode& node, const std::string& path, int64_t* out, Diagnostics* diag) {
  static constexpr double kMaxBytes = static_cast<double>(int64_t{1} << 50);
  const std::string expected = "bytes: an integer or a string such as \"8GiB\" (at most 1 PiB)";
  if (!node.IsScalar()) {
    TypeError(node, path, expected, diag);
    return false;
  }
  std::string_view text = node.text;
  size_t i = 0;
  while (i < text.size() && (IsDigit(text[i]) || text[i] == '.')) ++i;
  std::string_view number = text.substr(0, i);
  std::string unit =
      absl::AsciiStrToLower(std::string(absl::StripAsciiWhitespace(std::string(text.substr(i)))));
  double value = 0;
  double scale = 0;
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"b", 1},
                                                          {"kb", 1e3},
                                                          {"mb", 1e6},
                                                          {"gb", 1e9},
                                                          {"tb", 1e12},
                                                          {"kib", 1024.0},
                                                          {"mib", 1048576.0},
                                                          {"gib", 1073741824.0},
                                                          {"tib", 1099511627776.0}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) scale = factor;
  }
  if (number.empty() || !IsNumberText(number) || !absl::SimpleAtod(std::string(number), &value) ||
      scale == 0 || (unit.empty() && !IsIntegerText(number)) || value * scale > kMaxBytes) {
    TypeError(node, path, expected, diag);
    return false;
  }
  *out = static_cast<int64_t>(value * scale);
  return true;
}

bool ReadEnumList(const SpecNode& node, const std::string& path,
                  const std::vector<std::string>& allowed, std::vector<std::string>* out,
                  Diagnostics* diag) {
  const std::string& where = EffectivePath(node, path);
  if (!node.IsList() || node.items.empty()) {
    TypeError(node, path, absl::StrCat("a non-empty list of ", absl::StrJoin(allowed, "|")), diag);
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const std::string item_path = absl::StrCat(where, "[", i, "]");
    std::string value;
    if (!ReadEnum(node.items[i], item_path, allowed, &value, diag)) {
      ok = false;
      continue;
    }
    if (std::find(values.begin(), values.end(), value) != values.end()) {
      diag->Error(EffectivePath(node.items[i], item_path), node.items[i].line,
                  absl::StrCat("duplicate value ", Quote(value)));
      ok = false;
      continue;
    }
    values.push_back(std::move(value));
  }
  if (ok) *out = std::move(values);
  return ok;
}

SectionReader::SectionReader(const SpecNode& node, const std::string& path, int line,
                             Diagnostics* diag)
    : node_(node),
      path_(EffectivePath(node, path)),
      line_(line),
      diag_(diag),
      is_map_(node.IsMap()) {
  if (!node.IsMap() && !node.IsNull()) TypeError(node, path, "a mapping", diag);
}

void SectionReader::Allow(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

const SpecNode* SectionReader::Get(std::string_view key) {
  Allow(key);
  const SpecEntry* entry = FindEntry(node_, std::string(key));
  return entry == nullptr ? nullptr : &entry->value;
}

int SectionReader::KeyLine(std::string_view key) const {
  const SpecEntry* entry = FindEntry(node_, std::string(key));
  return entry == nullptr ? line_ : entry->key_line;
}

bool SectionReader::Require(std::string_view key) {
  Allow(key);
  if (!node_.IsMap() && !node_.IsNull()) return false;  // already reported: not a mapping
  if (FindEntry(node_, std::string(key)) != nullptr) return true;
  diag_->Error(PathOf(key), line_, "required key missing");
  return false;
}

bool SectionReader::Int(std::string_view key, IntRange range, int* out) {
  int64_t value = 0;
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  if (ReadInt(*node, PathOf(key), range, &value, diag_)) *out = static_cast<int>(value);
  return true;
}

bool SectionReader::Int64(std::string_view key, IntRange range, int64_t* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadInt(*node, PathOf(key), range, out, diag_);
  return true;
}

bool SectionReader::Number(std::string_view key, NumberRange range, double* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadNumber(*node, PathOf(key), range, out, diag_);
  return true;
}

bool SectionReader::Bool(std::string_view key, bool* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadBool(*node, PathOf(key), out, diag_);
  return true;
}

bool SectionReader::String(std::string_view key, std::string* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadString(*node, PathOf(key), out, diag_);
  return true;
}

bool SectionReader::Enum(std::string_view key, const std::vector<std::string>& allowed,
                         std::string* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadEnum(*node, PathOf(key), allowed, out, diag_);
  return true;
}

bool SectionReader::IntEnum(std::string_view key, const std::vector<int>& allowed, int* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  int64_t value = 0;
  const bool parsed =
      node->IsScalar() && IsIntegerText(node->text) && absl::SimpleAtoi(node->text, &value);
  if (!parsed || std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    TypeError(*node, PathOf(key), absl::StrCat("one of ", absl::StrJoin(allowed, "|")), diag_);
    return true;
  }
  *out = static_cast<int>(value);
  return true;
}

bool SectionReader::Bytes(std::string_view key, int64_t* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadBytes(*node, PathOf(key), out, diag_);
  return true;
}

bool SectionReader::EnumList(std::string_view key, const std::vector<std::string>& allowed,
                             std::vector<std::string>* out) {
  const SpecNode* node = Get(key);
  if (node == nullptr) return false;
  ReadEnumList(*node, PathOf(key), allowed, out, diag_);
  return true;
}

void SectionReader::Finish() {
  if (!node_.IsMap()) return;
  for (const SpecEntry& entry : node_.entries) {
    if (std::find(known_.begin(), known_.end(), entry.key) != known_.end()) continue;
    const bool from_matrix = !entry.key_path_override.empty();
    std::string reason =
        from_matrix ? absl::StrCat("unknown key ", Quote(entry.key)) : "unknown key";
    const std::string suggestion = DidYouMean(entry.key, known_);
    if (!suggestion.empty()) {
      absl::StrAppend(&reason, "; did you mean \"", suggestion, "\"?");
    } else {
      absl::StrAppend(&reason, "; expected one of ", absl::StrJoin(known_, "|"));
    }
    diag_->Error(from_matrix ? entry.key_path_override : PathOf(entry.key), entry.key_line, reason);
  }
}

const SpecNode* ReadToggleOrMapping(SectionReader& r, std::string_view key, bool* enabled) {
  const SpecNode* node = r.Get(key);
  if (node == nullptr || !node->IsScalar()) return node;
  const std::string path = r.PathOf(key);
  Diagnostics scratch(r.diag()->file_name());
  if (!ReadBool(*node, path, enabled, &scratch)) {
    r.diag()->Error(EffectivePath(*node, path), node->line,
                    absl::StrCat("expected a mapping, true or false, got ", DescribeNode(*node)));
  }
  return nullptr;
}

}  // namespace ecgbench::common
