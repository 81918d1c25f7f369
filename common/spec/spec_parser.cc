// Top level of a spec (name, description, priority, labels, which sections exist), the small
// probe and resources sections, and ParseSpec.
#include "common/spec/spec_parser.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "common/spec/spec.h"
#include "common/spec/yaml_adapter.h"

namespace ecgbench::common {
namespace {

constexpr size_t kMaxNameChars = 100;
constexpr size_t kMaxLabelKeyChars = 63;

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

void ParseName(SectionReader& top, std::string* out) {
  if (!top.Require("name")) return;
  const SpecNode& node = *top.Get("name");
  std::string name;
  bool ok = node.IsScalar() && !node.text.empty() && node.text.size() <= kMaxNameChars;
  for (char c : node.text) ok = ok && IsNameChar(c);
  if (!ok) {
    top.diag()->Error(EffectivePath(node, "name"), node.line,
                      absl::StrCat("expected 1..", kMaxNameChars,
                                   " letters, digits, '.', '_' or '-', got ", DescribeNode(node)));
    return;
  }
  *out = node.text;
}

void ParseDescription(SectionReader& top, std::string* out) {
  const SpecNode* node = top.Get("description");
  if (node == nullptr || node->IsNull()) return;
  if (!node->IsScalar()) {
    top.diag()->Error(EffectivePath(*node, "description"), node->line,
                      absl::StrCat("expected a string, got ", DescribeNode(*node)));
    return;
  }
  *out = node->text;
}

void ParsePriority(SectionReader& top, int* out) {
  const SpecNode* node = top.Get("priority");
  if (node == nullptr) return;
  if (node->IsScalar() && (node->text == "low" || node->text == "normal" || node->text == "high")) {
    *out = node->text == "low" ? 25 : node->text == "normal" ? 50 : 75;
    return;
  }
  Diagnostics scratch(top.diag()->file_name());
  int64_t value = 0;
  if (ReadInt(*node, "priority", IntRange{0, 100}, &value, &scratch)) {
    *out = static_cast<int>(value);
    return;
  }
  top.diag()->Error(
      EffectivePath(*node, "priority"), node->line,
      absl::StrCat("expected low|normal|high or an integer in 0..100, got ", DescribeNode(*node)));
}

void ParseLabels(SectionReader& top, std::vector<std::pair<std::string, std::string>>* out) {
  const SpecNode* node = top.Get("labels");
  if (node == nullptr) return;
  if (!node->IsMap() && !node->IsNull()) {
    top.diag()->Error(EffectivePath(*node, "labels"), node->line,
                      absl::StrCat("expected a mapping of strings, got ", DescribeNode(*node)));
    return;
  }
  const std::string& base = EffectivePath(*node, "labels");
  for (const SpecEntry& entry : node->entries) {
    const std::string path = JoinPath(base, entry.key);
    bool key_ok = !entry.key.empty() && entry.key.size() <= kMaxLabelKeyChars;
    for (char c : entry.key) key_ok = key_ok && (IsNameChar(c) || c == '/');
    if (!key_ok) {
      top.diag()->Error(path, entry.key_line,
                        absl::StrCat("label keys are 1..", kMaxLabelKeyChars,
                                     " letters, digits, '.', '_', '/' or '-'"));
      continue;
    }
    if (!entry.value.IsScalar()) {
      top.diag()->Error(path, entry.value.line,
                        absl::StrCat("expected a string, got ", DescribeNode(entry.value)));
      continue;
    }
    out->emplace_back(entry.key, entry.value.text);
  }
}

// Opens section `key` when present; records where it was written.
template <typename Fn>
void Section(SectionReader& top, const char* key, SectionRefs::Ref* ref, Fn&& parse) {
  const SpecNode* node = top.Get(key);
  if (node == nullptr) return;
  const int line = top.KeyLine(key);
  SectionReader reader(*node, key, line, top.diag());
  if (ref != nullptr) {
    *ref = SectionRefs::Ref{true, reader.path(), line, !node->IsMap() && !node->IsNull()};
  }
  parse(reader);
}

}  // namespace

void ParseProbe(SectionReader& r, ProbeSpec* out) {
  r.Int("ranks", IntRange{1, 4096}, &out->ranks);
  r.Int("shards", IntRange{1, 10000}, &out->shards);
  r.Number("duration", NumberRange{0, false, 604800, false}, &out->duration_s);
  r.Finish();
}

void ParseResources(SectionReader& r, ResourcesSpec* out) {
  r.Int("ranks", IntRange{1, 4096}, &out->ranks);
  r.Int("gpus_per_rank", IntRange{0, 64}, &out->gpus_per_rank);
  r.Int("cpus_per_rank", IntRange{1, 1024}, &out->cpus_per_rank);
  r.Bytes("memory_per_rank", &out->memory_per_rank);
  r.Int("preprocess_shards", IntRange{1, 10000}, &out->preprocess_shards);
  r.Int("eval_shards", IntRange{1, 10000}, &out->eval_shards);
  r.Int("max_attempts", IntRange{1, 100}, &out->max_attempts);
  r.Finish();
}

ExperimentSpec ParseSpecTree(const SpecNode& root, bool matrix_expanded, Diagnostics* diag) {
  ExperimentSpec spec;
  SectionRefs refs;
  if (!root.IsMap()) {
    diag->Error("spec", root.line,
                absl::StrCat("expected a mapping with at least a name, got ",
                             root.IsNull() ? "an empty document" : DescribeNode(root)));
    return spec;
  }
  SectionReader top(root, "", 1, diag);
  ParseName(top, &spec.name);
  ParseDescription(top, &spec.description);
  ParsePriority(top, &spec.priority);
  ParseLabels(top, &spec.labels);
  Section(top, "probe", &refs.probe,
          [&](SectionReader& r) { ParseProbe(r, &spec.probe.emplace()); });
  Section(top, "data", &refs.data, [&](SectionReader& r) {
    refs.mapped_given = FindEntry(r.node(), "mapped") != nullptr;
    ParseData(r, &spec.data.emplace());
  });
  Section(top, "representation", &refs.representation,
          [&](SectionReader& r) { ParseRepresentation(r, &spec.representation); });
  Section(top, "model", &refs.model, [&](SectionReader& r) { ParseModel(r, &spec.model, &refs); });
  Section(top, "train", &refs.train,
          [&](SectionReader& r) { ParseTrain(r, &spec.train.emplace()); });
  Section(top, "evaluate", &refs.evaluate,
          [&](SectionReader& r) { ParseEvaluate(r, &spec.evaluate.emplace()); });
  Section(top, "rag", &refs.rag, [&](SectionReader& r) { ParseRag(r, &spec.rag.emplace()); });
  Section(top, "resources", nullptr, [&](SectionReader& r) { ParseResources(r, &spec.resources); });
  if (matrix_expanded) {
    top.Allow("matrix");
  } else if (top.Get("matrix") != nullptr) {
    diag->Error("matrix", top.KeyLine("matrix"),
                "not accepted here: ParseSpec reads one run; PlanExperiment expands a matrix");
  }
  top.Finish();
  CheckCrossSectionRules(spec, refs, diag);
  return spec;
}

absl::StatusOr<ExperimentSpec> ParseSpec(const std::string& yaml_text,
                                         const std::string& file_name) {
  absl::StatusOr<SpecNode> root = ParseYamlTree(yaml_text, file_name);
  if (!root.ok()) return root.status();
  Diagnostics diag(file_name);
  ExperimentSpec spec = ParseSpecTree(*root, /*matrix_expanded=*/false, &diag);
  if (!diag.empty()) return diag.ToStatus();
  return spec;
}

}  // namespace ecgbench::common
