// Spec path fields: enumeration over a spec and over stage parameters, and the two checks.
#include "common/security/spec_paths.h"

#include <algorithm>
#include <string_view>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/util/json.h"

namespace ecgbench::common {
namespace {

constexpr size_t kMaxProblemsShown = 20;

// The non-empty string at dotted `field` of `params`, or nullptr (absent, null, empty, not a string).
// Json: nlohmann::json or const nlohmann::json.
template <typename Json>
Json* FindString(Json& params, absl::string_view field) {
  Json* node = &params;
  for (absl::string_view key : absl::StrSplit(field, '.')) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(std::string(key));
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node->is_string() && !node->template get_ref<const std::string&>().empty() ? node : nullptr;
}

// Collects distinct problems in order; the first one's code is the result's.
class Problems {
 public:
  void Add(const absl::Status& status) {
    const std::string text(status.message());
    if (!seen_.insert(text).second) return;
    if (lines_.empty()) code_ = status.code();
    lines_.push_back(text);
  }

  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    std::vector<std::string> shown(lines_.begin(), lines_.begin() + std::min(lines_.size(), kMaxProblemsShown));
    if (lines_.size() > kMaxProblemsShown) shown.push_back(absl::StrCat("... and ", lines_.size() - kMaxProblemsShown, " more"));
    return absl::Status(code_, absl::StrJoin(shown, "\n"));
  }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> lines_;
  absl::StatusCode code_ = absl::StatusCode::kOk;
};

}  // namespace

std::vector<SpecPath> SpecPaths(const ExperimentSpec& spec) {
  const std::string empty;
  const RepresentationSpec& r = spec.representation;
  const std::array<const std::string*, kSpecPathFields.size()> values = {
      spec.data ? &spec.data->root : &empty,
      spec.data ? &spec.data->mapped_root : &empty,
      &r.encoder.path,
      &r.encoder.text_encoder,
      &r.ecg_byte.tokenizer,
      &spec.model.llm.path,
      spec.evaluate ? &spec.evaluate->bertscore.path : &empty,
      spec.evaluate ? &spec.evaluate->judge.path : &empty,
  };
  std::vector<SpecPath> out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i]->empty()) out.push_back(SpecPath{std::string(kSpecPathFields[i]), *values[i]});
  }
  return out;
}

std::vector<SpecPath> StageParamsPaths(const nlohmann::json& params) {
  std::vector<SpecPath> out;
  for (absl::string_view field : kSpecPathFields) {
    if (const nlohmann::json* value = FindString(params, field)) {
      out.push_back(SpecPath{std::string(field), value->get<std::string>()});
    }
  }
  return out;
}

absl::Status ConfinePlanPaths(const PathPolicy& policy, ExperimentPlan* plan) {
  if (!policy.confined()) return absl::OkStatus();
  Problems problems;
  for (RunPlan& run : plan->runs) {
    for (StagePlan& stage : run.stages) {
      for (absl::string_view field : kSpecPathFields) {
        nlohmann::json* value = FindString(stage.params, field);
        if (value == nullptr) continue;
        absl::StatusOr<std::string> checked = policy.CheckLexical(field, value->get_ref<const std::string&>());
        if (checked.ok()) {
          *value = *std::move(checked);
        } else {
          problems.Add(checked.status());
        }
      }
    }
  }
  return problems.ToStatus();
}

absl::Status CheckStageParamsPaths(const PathPolicy& policy, absl::string_view params_json) {
  if (!policy.confined() || params_json.empty()) return absl::OkStatus();
  absl::StatusOr<nlohmann::json> params = ParseJson(std::string_view(params_json.data(), params_json.size()), "params_json");
  if (!params.ok()) return params.status();
  Problems problems;
  for (const SpecPath& path : StageParamsPaths(*params)) {
    absl::StatusOr<std::string> checked = policy.CheckResolved(path.field, path.value);
    if (!checked.ok()) problems.Add(checked.status());
  }
  return problems.ToStatus();
}

}  // namespace ecgbench::common
