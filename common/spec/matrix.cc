// Matrix parsing, run enumeration, substitution and run naming.
#include "common/spec/matrix.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/spec/did_you_mean.h"
#include "common/spec/value_reader.h"

namespace ecgbench::common {
namespace {

const std::vector<std::string>& Sections() {
  static const auto* kSections = new std::vector<std::string>{
      "probe", "data", "representation", "model", "train", "evaluate", "rag", "resources"};
  return *kSections;
}

bool IsTopLevelScalarKey(const std::string& key) {
  return key == "name" || key == "description" || key == "priority" || key == "labels" ||
         key == "matrix";
}

// Aliases: `fold` -> data.fold, `train.lr` -> train.optimizer.lr.
std::vector<std::string> Canonical(const std::string& key) {
  if (key == "fold") return {"data", "fold"};
  if (key == "train.lr") return {"train", "optimizer", "lr"};
  return absl::StrSplit(key, '.');
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::string Basename(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::string ScalarAt(const SpecNode& map, const std::string& key) {
  const SpecEntry* entry = FindEntry(map, key);
  return entry != nullptr && entry->value.IsScalar() ? entry->value.text : "";
}

// Short text of a value: the scalar; for a mapping its kind (+ "/" + encoder name) or its name.
std::string ShortLabel(const SpecNode& value) {
  if (value.IsScalar()) return value.text;
  if (!value.IsMap()) return "";
  const std::string kind = ScalarAt(value, "kind");
  if (kind.empty()) return ScalarAt(value, "name");
  const SpecEntry* encoder = FindEntry(value, "encoder");
  if (encoder == nullptr) return kind;
  std::string name = encoder->value.IsScalar() ? encoder->value.text : "";
  if (name.empty()) name = ScalarAt(encoder->value, "name");
  if (name.empty()) name = Basename(ScalarAt(encoder->value, "path"));
  return name.empty() ? kind : absl::StrCat(kind, "/", name);
}

std::vector<std::string> Labels(const std::vector<SpecNode>& values) {
  std::vector<std::string> labels;
  absl::flat_hash_map<std::string, int> count;
  for (const SpecNode& value : values) {
    labels.push_back(ShortLabel(value));
    ++count[labels.back()];
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty() || count[labels[i]] > 1) labels[i] = absl::StrCat("#", i + 1);
  }
  return labels;
}

// Checks that the axis' target can be reached in `root`; reports and returns false otherwise.
bool CheckTarget(const MatrixAxis& axis, const std::string& path, const SpecNode& root,
                 Diagnostics* diag) {
  const std::string& section = axis.target[0];
  if (IsTopLevelScalarKey(section)) {
    diag->Error(path, axis.line,
                absl::StrCat("cannot be varied; matrix keys name a section or a key inside one (",
                             absl::StrJoin(Sections(), "|"), ")"));
    return false;
  }
  if (std::find(Sections().begin(), Sections().end(), section) == Sections().end()) {
    std::vector<std::string> candidates = Sections();
    candidates.push_back("fold");
    const std::string suggestion = DidYouMean(section, candidates);
    diag->Error(
        path, axis.line,
        absl::StrCat("unknown key \"", section, "\"",
                     suggestion.empty()
                         ? absl::StrCat("; expected one of ", absl::StrJoin(candidates, "|"))
                         : absl::StrCat("; did you mean \"", suggestion, "\"?")));
    return false;
  }
  const SpecNode* node = &root;
  for (size_t i = 0; i + 1 < axis.target.size(); ++i) {
    const SpecEntry* entry = FindEntry(*node, axis.target[i]);
    if (entry == nullptr) {
      if (i == 0) {
        diag->Error(path, axis.line, absl::StrCat("the spec has no ", section, " section to vary"));
        return false;
      }
      return true;  // created on substitution
    }
    if (!entry->value.IsMap() && !entry->value.IsNull()) {
      diag->Error(path, axis.line,
                  absl::StrCat("cannot set ", absl::StrJoin(axis.target, "."), ": ",
                               absl::StrJoin(axis.target.begin(), axis.target.begin() + i + 1, "."),
                               " is not a mapping"));
      return false;
    }
    node = &entry->value;
  }
  return true;
}

}  // namespace

std::vector<MatrixAxis> ParseMatrix(const SpecNode& matrix, int line, const SpecNode& root,
                                    Diagnostics* diag) {
  std::vector<MatrixAxis> axes;
  if (!matrix.IsMap() || matrix.entries.empty()) {
    diag->Error("matrix", line,
                absl::StrCat("expected a mapping of key paths to lists of values, got ",
                             matrix.IsMap() ? "an empty mapping" : DescribeNode(matrix)));
    return axes;
  }
  for (const SpecEntry& entry : matrix.entries) {
    const std::string path = JoinPath("matrix", entry.key);
    MatrixAxis axis;
    axis.key = entry.key;
    axis.line = entry.key_line;
    axis.target = Canonical(entry.key);
    if (std::any_of(axis.target.begin(), axis.target.end(),
                    [](const std::string& s) { return s.empty(); })) {
      diag->Error(path, axis.line, "expected a dotted key path such as train.optimizer.lr");
      continue;
    }
    if (!CheckTarget(axis, path, root, diag)) continue;
    const auto overlap = std::find_if(axes.begin(), axes.end(), [&](const MatrixAxis& other) {
      return IsPrefix(other.target, axis.target) || IsPrefix(axis.target, other.target);
    });
    if (overlap != axes.end()) {
      diag->Error(path, axis.line, absl::StrCat("overlaps matrix key ", overlap->key));
      continue;
    }
    if (!entry.value.IsList() || entry.value.items.empty()) {
      diag->Error(
          path, entry.value.line,
          absl::StrCat("expected a non-empty list of values, got ", DescribeNode(entry.value)));
      continue;
    }
    bool ok = true;
    absl::flat_hash_map<std::string, size_t> first_index;  // canonical text -> index
    for (size_t i = 0; i < entry.value.items.size(); ++i) {
      SpecNode value = entry.value.items[i];
      value.path_override = absl::StrCat(path, "[", i, "]");
      const auto [first, inserted] = first_index.emplace(CanonicalText(value), i);
      if (!inserted) {
        diag->Error(value.path_override, value.line,
                    absl::StrCat("duplicate of ", path, "[", first->second, "]"));
        ok = false;
      }
      axis.values.push_back(std::move(value));
    }
    if (!ok) continue;
    axis.labels = Labels(axis.values);
    axes.push_back(std::move(axis));
  }
  return axes;
}

size_t CountRuns(const std::vector<MatrixAxis>& axes) {
  size_t runs = 1;
  for (const MatrixAxis& axis : axes) {
    runs *= axis.values.size();
    if (runs > kMaxMatrixRuns) return kMaxMatrixRuns + 1;
  }
  return runs;
}

std::vector<size_t> Combination(const std::vector<MatrixAxis>& axes, size_t run_index) {
  std::vector<size_t> choice(axes.size());
  for (size_t i = axes.size(); i-- > 0;) {
    choice[i] = run_index % axes[i].values.size();
    run_index /= axes[i].values.size();
  }
  return choice;
}

SpecNode Substitute(const SpecNode& root, const std::vector<MatrixAxis>& axes,
                    const std::vector<size_t>& choice, Diagnostics* diag) {
  SpecNode out = root;
  for (size_t a = 0; a < axes.size(); ++a) {
    const MatrixAxis& axis = axes[a];
    const SpecNode& value = axis.values[choice[a]];
    const std::string override_path = JoinPath("matrix", axis.key);
    if (axis.target == std::vector<std::string>{"train", "optimizer", "lr"}) {
      // The matrix value replaces the `train.lr` shorthand as well.
      SpecEntry* train = FindEntry(out, "train");
      if (train != nullptr && train->value.IsMap()) {
        auto& entries = train->value.entries;
        entries.erase(std::remove_if(entries.begin(), entries.end(),
                                     [](const SpecEntry& e) { return e.key == "lr"; }),
                      entries.end());
      }
    }
    SpecNode* node = &out;
    bool reachable = true;
    for (size_t i = 0; i + 1 < axis.target.size() && reachable; ++i) {
      SpecEntry* entry = FindEntry(*node, axis.target[i]);
      if (entry == nullptr) {
        SpecEntry created{axis.target[i], axis.line, SpecNode{}, override_path};
        created.value.kind = SpecNode::Kind::kMap;
        created.value.line = axis.line;
        node->entries.push_back(std::move(created));
        entry = &node->entries.back();
      } else if (entry->value.IsNull()) {
        entry->value.kind = SpecNode::Kind::kMap;
      } else if (!entry->value.IsMap()) {
        diag->Error(
            override_path, axis.line,
            absl::StrCat(absl::StrJoin(axis.target.begin(), axis.target.begin() + i + 1, "."),
                         " is not a mapping"));
        reachable = false;
      }
      node = &entry->value;
    }
    if (!reachable) continue;
    const std::string& last = axis.target.back();
    if (SpecEntry* entry = FindEntry(*node, last); entry != nullptr) {
      entry->value = value;
      entry->key_line = value.line;
    } else {
      node->entries.push_back(SpecEntry{last, value.line, value, override_path});
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Variant(const std::vector<MatrixAxis>& axes,
                                                         const std::vector<size_t>& choice) {
  std::vector<std::pair<std::string, std::string>> variant;
  variant.reserve(axes.size());
  for (size_t a = 0; a < axes.size(); ++a)
    variant.emplace_back(axes[a].key, axes[a].labels[choice[a]]);
  return variant;
}

std::string RunName(const std::vector<std::pair<std::string, std::string>>& variant) {
  if (variant.empty()) return "default";
  return absl::StrJoin(variant, ",", absl::PairFormatter("="));
}

}  // namespace ecgbench::common
