// yaml-cpp -> SpecNode. The only file of the project that catches yaml-cpp exceptions.
#include "common/spec/yaml_adapter.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/spec/diagnostics.h"

namespace ecgbench::common {
namespace {

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

// Errors about the document itself name "spec".
std::string PathOrSpec(const std::string& path) { return path.empty() ? "spec" : path; }

// The first byte of `text` that YAML text may not hold: one that is not part of well-formed UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included), or a control character
// other than tab, LF and CR (YAML's printable set). yaml-cpp passes bad UTF-8 through and reads
// text with NUL bytes as UTF-16/32, and the spec's strings end up in protobuf string fields,
// which must be UTF-8. `*what` says which; npos when the text is clean.
size_t FirstBadByte(std::string_view text, const char** what) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        *what = "control character";
        return i;
      }
      ++i;
      continue;
    }
    *what = "invalid UTF-8";
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "null";
  }
}

// Event handler that records where each document starts (and the mark of the second one's root
// node) without building nodes or expanding aliases. stalled(): the last document started where
// the previous one did, i.e. the parser made no progress.
class DocumentScan : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    starts_.push_back(mark);
    root_pending_ = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override { Node(mark); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

  const std::vector<YAML::Mark>& starts() const { return starts_; }
  const YAML::Mark& second_root() const { return second_root_; }
  bool stalled() const { return starts_.size() > 1 && starts_.back().pos == starts_[starts_.size() - 2].pos; }

 private:
  void Node(const YAML::Mark& mark) {
    if (root_pending_ && starts_.size() == 2) second_root_ = mark;
    root_pending_ = false;
  }

  std::vector<YAML::Mark> starts_;
  YAML::Mark second_root_ = YAML::Mark::null_mark();
  bool root_pending_ = false;
};

class Converter {
 public:
  Converter(const YamlLimits& limits, Diagnostics* diag) : limits_(limits), diag_(diag) {}

  // `line` is the 1-based line reported for null values (yaml-cpp marks them at the next token).
  void Convert(const YAML::Node& in, const std::string& path, int depth, int line, SpecNode* out) {
    if (++nodes_ > limits_.max_nodes) {
      if (!node_limit_reported_) {
        node_limit_reported_ = true;
        diag_->Error(PathOrSpec(path), line,
                     absl::StrCat("the document expands to more than ", limits_.max_nodes,
                                  " values (aliases?)"));
      }
      return;
    }
    const std::string where = PathOrSpec(path);
    out->line = in.Mark().is_null() ? line : in.Mark().line + 1;
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out->kind = SpecNode::Kind::kNull;
        out->line = line;
        return;
      case YAML::NodeType::Scalar:
        out->kind = SpecNode::Kind::kScalar;
        out->quoted = in.Tag() != "?";
        if (in.Scalar().size() > limits_.max_string_chars) {
          diag_->Error(
              where, out->line,
              absl::StrCat("string of ", in.Scalar().size(),
                           " characters is longer than the limit of ", limits_.max_string_chars));
          return;
        }
        out->text = in.Scalar();
        return;
      case YAML::NodeType::Sequence:
        out->kind = SpecNode::Kind::kList;
        if (!CheckDepthAndSize(where, out->line, depth, in.size(), limits_.max_list_items,
                               "list")) {
          return;
        }
        out->items.resize(in.size());
        for (size_t i = 0; i < in.size(); ++i) {
          Convert(in[i], absl::StrCat(path, "[", i, "]"), depth + 1, out->line, &out->items[i]);
        }
        return;
      case YAML::NodeType::Map:
        out->kind = SpecNode::Kind::kMap;
        if (!CheckDepthAndSize(where, out->line, depth, in.size(), limits_.max_map_entries,
                               "mapping")) {
          return;
        }
        ConvertMap(in, path, depth, out);
        return;
    }
  }

 private:
  bool CheckDepthAndSize(const std::string& where, int line, int depth, size_t size, size_t limit,
                         const char* what) {
    if (depth >= limits_.max_depth) {
      diag_->Error(where, line,
                   absl::StrCat("nested deeper than the limit of ", limits_.max_depth, " levels"));
      return false;
    }
    if (size > limit) {
      diag_->Error(where, line,
                   absl::StrCat(what, " of ", size, " items is longer than the limit of ", limit));
      return false;
    }
    return true;
  }

  void ConvertMap(const YAML::Node& in, const std::string& path, int depth, SpecNode* out) {
    absl::flat_hash_map<std::string, int> first_line;
    out->entries.reserve(in.size());
    for (auto it = in.begin(); it != in.end(); ++it) {
      // Copies: `it->first` lives in a proxy that dies at the end of the full expression.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const int key_line = key.Mark().is_null() ? out->line : key.Mark().line + 1;
      if (!key.IsScalar()) {
        diag_->Error(PathOrSpec(path), key_line,
                     absl::StrCat("keys must be strings, got ", KindName(key)));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string child_path = JoinKey(path, name);
      if (name.size() > limits_.max_string_chars) {
        diag_->Error(
            PathOrSpec(path), key_line,
            absl::StrCat("key of ", name.size(), " characters is longer than the limit of ",
                         limits_.max_string_chars));
        continue;
      }
      auto [slot, inserted] = first_line.emplace(name, key_line);
      if (!inserted) {
        diag_->Error(child_path, key_line,
                     absl::StrCat("duplicate key; first given on line ", slot->second));
        continue;
      }
      SpecEntry entry;
      entry.key = name;
      entry.key_line = key_line;
      Convert(value, child_path, depth + 1, key_line, &entry.value);
      out->entries.push_back(std::move(entry));
    }
  }

  const YamlLimits& limits_;
  Diagnostics* diag_;
  size_t nodes_ = 0;
  bool node_limit_reported_ = false;
};

}  // namespace

absl::StatusOr<SpecNode> ParseYamlTree(std::string_view text, const std::string& file_name,
                                       const YamlLimits& limits) {
  Diagnostics diag(file_name);
  if (text.size() > limits.max_text_bytes) {
    diag.Error("spec", 1,
               absl::StrCat("text of ", text.size(), " bytes is longer than the limit of ",
                            limits.max_text_bytes, " bytes"));
    return diag.ToStatus();
  }
  const char* what = "";
  if (const size_t bad = FirstBadByte(text, &what); bad != std::string_view::npos) {
    const size_t newline = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
    const size_t column = newline == std::string_view::npos ? bad + 1 : bad - newline;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
    diag.Error("spec", line,
               absl::StrCat(what, " at column ", column, " (byte 0x",
                            absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2), ")"));
    return diag.ToStatus();
  }
  // The documents are counted with an event pass first, then the single one is loaded:
  // YAML::LoadAll of yaml-cpp 0.7 loops forever, allocating, on input such as "," (it keeps
  // returning an empty document without consuming the token; jbeder/yaml-cpp#1040).
  DocumentScan scan;
  YAML::Node document;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(scan)) {
      if (scan.stalled()) {
        const YAML::Mark& at = scan.starts().back();
        const char c = static_cast<size_t>(at.pos) < text.size() ? text[static_cast<size_t>(at.pos)] : ' ';
        return absl::InvalidArgumentError(absl::StrCat(file_name, ":", at.line + 1, ":", at.column + 1,
                                                       ": YAML syntax error: unexpected '", std::string(1, c), "'"));
      }
    }
    if (scan.starts().size() == 1) document = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": YAML error: ", e.what()));
  }
  SpecNode root;
  if (scan.starts().empty()) return root;
  if (scan.starts().size() > 1) {
    const YAML::Mark& mark = scan.second_root();
    diag.Error("spec", mark.is_null() ? 1 : mark.line + 1,
               absl::StrCat("expected one YAML document, got ", scan.starts().size()));
    return diag.ToStatus();
  }
  try {
    Converter converter(limits, &diag);
    converter.Convert(document, "", 0, 1, &root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": YAML error: ", e.what()));
  }
  if (!diag.empty()) return diag.ToStatus();
  return root;
}

}  // namespace ecgbench::common
