// yaml-cpp -> SpecNode. The only file of the project that catches yaml-cpp exceptions.
#include "common/spec/yaml_adapter.h"

#include <yaml-cpp/yaml.h>

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
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": YAML error: ", e.what()));
  }
  SpecNode root;
  if (documents.empty()) return root;
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    diag.Error("spec", mark.is_null() ? 1 : mark.line + 1,
               absl::StrCat("expected one YAML document, got ", documents.size()));
    return diag.ToStatus();
  }
  try {
    Converter converter(limits, &diag);
    converter.Convert(documents[0], "", 0, 1, &root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": YAML error: ", e.what()));
  }
  if (!diag.empty()) return diag.ToStatus();
  return root;
}

}  // namespace ecgbench::common
