// The data section: base dataset, mapped (question-answer) datasets, preprocessing and folds.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/spec/spec_parser.h"

namespace ecgbench::common {
namespace {

const std::vector<std::string>& Bases() {
  static const auto* kBases =
      new std::vector<std::string>{"ptbxl", "mimic", "code15", "cpsc", "csn"};
  return *kBases;
}

struct MappedDataset {
  std::string name;
  std::vector<std::string> bases;  // base datasets its records come from
};

const std::vector<MappedDataset>& MappedDatasets() {
  static const auto* kMapped = new std::vector<MappedDataset>{
      {"ecg-qa-ptbxl", {"ptbxl"}},
      {"ecg-qa-mimic", {"mimic"}},
      {"pretrain-mimic", {"mimic"}},
      {"ecg-instruct-45k", {"mimic"}},
      {"ecg-instruct-pulse", {"mimic", "ptbxl", "code15"}},
      {"ecg-bench-pulse", {"ptbxl", "code15", "csn", "cpsc"}},
      {"ecg-grounding", {"mimic", "ptbxl", "code15"}},
      {"ecg-grounding-pulse", {"mimic", "ptbxl", "code15"}},
      {"ecg-grounding-test", {"mimic", "ptbxl", "code15"}},
  };
  return *kMapped;
}

std::vector<std::string> MappedNames() {
  std::vector<std::string> names;
  for (const MappedDataset& m : MappedDatasets()) names.push_back(m.name);
  return names;
}

// One mapped name: valid and compatible with `base` (when the base is known).
void CheckMapped(const SpecNode& node, const std::string& path, const std::string& base,
                 std::vector<std::string>* out, Diagnostics* diag) {
  std::string name;
  if (!ReadEnum(node, path, MappedNames(), &name, diag)) return;
  if (std::find(out->begin(), out->end(), name) != out->end()) {
    diag->Error(EffectivePath(node, path), node.line,
                absl::StrCat("duplicate value \"", name, "\""));
    return;
  }
  for (const MappedDataset& m : MappedDatasets()) {
    if (m.name != name || base.empty()) continue;
    if (std::find(m.bases.begin(), m.bases.end(), base) == m.bases.end()) {
      diag->Error(EffectivePath(node, path), node.line,
                  absl::StrCat(name, " maps onto data.base ", absl::StrJoin(m.bases, "|"),
                               ", got data.base ", base));
    }
  }
  out->push_back(name);
}

void ParseMapped(SectionReader& r, const std::string& base, DataSpec* out) {
  const SpecNode* node = r.Get("mapped");
  if (node == nullptr) return;
  const std::string path = r.PathOf("mapped");
  if (node->IsScalar()) {
    CheckMapped(*node, path, base, &out->mapped, r.diag());
    return;
  }
  if (!node->IsList() || node->items.empty()) {
    r.diag()->Error(EffectivePath(*node, path), node->line,
                    absl::StrCat("expected one of ", absl::StrJoin(MappedNames(), "|"),
                                 " or a non-empty list of them, got ", DescribeNode(*node)));
    return;
  }
  const std::string& where = EffectivePath(*node, path);
  for (size_t i = 0; i < node->items.size(); ++i) {
    CheckMapped(node->items[i], absl::StrCat(where, "[", i, "]"), base, &out->mapped, r.diag());
  }
}

void ParseFolds(SectionReader& r, FoldsSpec* out) {
  const SpecNode* node = r.Get("folds");
  if (node == nullptr) return;
  SectionReader folds(*node, r.PathOf("folds"), r.KeyLine("folds"), r.diag());
  folds.Int("k", IntRange{2, 100}, &out->k);
  folds.Int64("seed", IntRange{0, std::numeric_limits<int64_t>::max()}, &out->seed);
  folds.Enum("group_by", {"patient", "record"}, &out->group_by);
  folds.Finish();
}

}  // namespace

void ParseData(SectionReader& r, DataSpec* out) {
  if (r.Require("base")) r.Enum("base", Bases(), &out->base);
  if (r.Require("root")) r.String("root", &out->root);
  ParseMapped(r, out->base, out);
  const bool has_mapped_root = r.String("mapped_root", &out->mapped_root);
  if (!out->mapped.empty() && !has_mapped_root) {
    r.diag()->Error(r.PathOf("mapped_root"), r.line(),
                    "required key missing (data.mapped is given)");
  }
  r.Int("target_rate", IntRange{100, 1000}, &out->target_rate);
  r.IntEnum("segment_len", {500, 1250, 2500}, &out->segment_len);
  r.Enum("filters", {"none", "paper"}, &out->filters);
  r.Enum("nan", {"skip", "zero"}, &out->nan);
  ParseFolds(r, &out->folds);
  if (const SpecNode* fold = r.Get("fold"); fold != nullptr) {
    int64_t value = 0;
    const IntRange range{1, out->folds.k};
    if (ReadInt(*fold, r.PathOf("fold"), range, &value, r.diag())) {
      out->fold = static_cast<int>(value);
    }
  }
  r.Number("subset", NumberRange{0, true, 1, false}, &out->subset);
  r.Finish();
}

}  // namespace ecgbench::common
