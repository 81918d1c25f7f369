// Spec path fields: every field is enumerated in the spec and in the stage parameters of every
// run (matrix included); the coordinator's plan check rewrites relative paths and reports every
// distinct problem; the worker's params check follows symbolic links.
#include "common/security/spec_paths.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/spec/spec_json.h"
#include "gtest/gtest.h"

namespace ecgbench::common {
namespace {

// Sets all eight path fields: merl pretraining (encoder path, text encoder), a token run with an
// existing tokenizer in the matrix, judge and BERTScore.
constexpr char kAllPathsSpec[] = R"yaml(name: paths
data: {base: ptbxl, root: ptb-xl, mapped: ecg-qa-ptbxl, mapped_root: /data/ecg-qa}
representation:
  kind: signal
  encoder: {name: merl, path: /models/merl, pretrain: true, text_encoder: /models/MedCPT}
model: {llm: {path: /models/llama}}
train: {}
evaluate:
  metrics: [bleu, bertscore]
  bertscore: {path: /models/roberta-large}
  judge: {path: /models/judge}
matrix:
  representation:
    - {kind: signal, encoder: {name: merl, path: /models/merl, pretrain: true, text_encoder: /models/MedCPT}}
    - {kind: token, ecg_byte: {tokenizer: /models/tok.json}}
)yaml";

PathPolicy Policy(const std::vector<std::string>& roots) { return PathPolicy::Create(roots).value(); }

std::map<std::string, std::string> AsMap(const std::vector<SpecPath>& paths) {
  std::map<std::string, std::string> out;
  for (const SpecPath& p : paths) out[p.field] = p.value;
  return out;
}

// field -> value over every stage of one run.
std::map<std::string, std::string> RunPaths(const RunPlan& run) {
  std::map<std::string, std::string> out;
  for (const StagePlan& stage : run.stages) {
    for (const auto& [field, value] : AsMap(StageParamsPaths(stage.params))) out[field] = value;
  }
  return out;
}

TEST(SpecPathsTest, EveryFieldOfTheSpecIsEnumerated) {
  ExperimentSpec spec;
  spec.data = DataSpec();
  spec.data->root = "/d/root";
  spec.data->mapped_root = "/d/mapped";
  spec.representation.encoder.path = "/m/encoder";
  spec.representation.encoder.text_encoder = "/m/text";
  spec.representation.ecg_byte.tokenizer = "/m/tok";
  spec.model.llm.path = "/m/llm";
  spec.evaluate = EvaluateSpec();
  spec.evaluate->bertscore.path = "/m/bert";
  spec.evaluate->judge.path = "/m/judge";
  const std::vector<SpecPath> paths = SpecPaths(spec);
  ASSERT_EQ(paths.size(), kSpecPathFields.size());
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(paths[i].field, kSpecPathFields[i]);
  const std::map<std::string, std::string> expected = {
      {"data.root", "/d/root"},
      {"data.mapped_root", "/d/mapped"},
      {"representation.encoder.path", "/m/encoder"},
      {"representation.encoder.text_encoder", "/m/text"},
      {"representation.ecg_byte.tokenizer", "/m/tok"},
      {"model.llm.path", "/m/llm"},
      {"evaluate.bertscore.path", "/m/bert"},
      {"evaluate.judge.path", "/m/judge"}};
  EXPECT_EQ(AsMap(paths), expected);
  // The stage parameters carry each field under the same name (spec_json.h).
  const nlohmann::json params = {{"data", ToJson(*spec.data)},
                                 {"representation", ToJson(spec.representation)},
                                 {"model", ToJson(spec.model)},
                                 {"evaluate", ToJson(*spec.evaluate)}};
  EXPECT_EQ(AsMap(StageParamsPaths(params)), expected);
  // Unset fields are not paths.
  EXPECT_TRUE(SpecPaths(ExperimentSpec()).empty());
  EXPECT_TRUE(StageParamsPaths({{"model", ToJson(ModelSpec())}}).empty());
}

TEST(SpecPathsTest, EveryRunOfAMatrixCarriesItsPaths) {
  auto plan = PlanExperiment(kAllPathsSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->runs.size(), 2u);
  const std::map<std::string, std::string> shared = {{"data.root", "ptb-xl"},
                                                     {"data.mapped_root", "/data/ecg-qa"},
                                                     {"model.llm.path", "/models/llama"},
                                                     {"evaluate.bertscore.path", "/models/roberta-large"},
                                                     {"evaluate.judge.path", "/models/judge"}};
  std::map<std::string, std::string> merl = shared;
  merl["representation.encoder.path"] = "/models/merl";
  merl["representation.encoder.text_encoder"] = "/models/MedCPT";
  std::map<std::string, std::string> token = shared;
  token["representation.ecg_byte.tokenizer"] = "/models/tok.json";
  EXPECT_EQ(RunPaths(plan->runs[0]), merl);
  EXPECT_EQ(RunPaths(plan->runs[1]), token);
  // Together the runs name every field.
  std::set<std::string> fields;
  for (const RunPlan& run : plan->runs) {
    for (const auto& [field, value] : RunPaths(run)) fields.insert(field);
  }
  EXPECT_EQ(fields.size(), kSpecPathFields.size());
}

TEST(SpecPathsTest, ConfinePlanRewritesRelativePathsEverywhere) {
  auto plan = PlanExperiment(kAllPathsSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(ConfinePlanPaths(Policy({"/data", "/models"}), &*plan).ok());
  int data_stages = 0;
  for (const RunPlan& run : plan->runs) {
    for (const StagePlan& stage : run.stages) {
      if (!stage.params.contains("data")) continue;
      ++data_stages;
      EXPECT_EQ(stage.params["data"]["root"], "/data/ptb-xl") << stage.key;
    }
  }
  EXPECT_GE(data_stages, 8);
}

TEST(SpecPathsTest, ConfinePlanReportsEveryDistinctProblemOnce) {
  auto plan = PlanExperiment(kAllPathsSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const absl::Status status = ConfinePlanPaths(Policy({"/data"}), &*plan);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "representation.encoder.path: /models/merl is outside the allowed roots (/data)\n"
            "representation.encoder.text_encoder: /models/MedCPT is outside the allowed roots (/data)\n"
            "model.llm.path: /models/llama is outside the allowed roots (/data)\n"
            "evaluate.bertscore.path: /models/roberta-large is outside the allowed roots (/data)\n"
            "evaluate.judge.path: /models/judge is outside the allowed roots (/data)\n"
            "representation.ecg_byte.tokenizer: /models/tok.json is outside the allowed roots (/data)");
}

TEST(SpecPathsTest, ConfinePlanFirstProblemGivesTheCode) {
  auto plan = PlanExperiment(
      "name: p\ndata: {base: ptbxl, root: /data/../etc, mapped: ecg-qa-ptbxl, mapped_root: /data/qa}\n"
      "model: {llm: {path: /etc}}\nevaluate: {}\n", "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const absl::Status status = ConfinePlanPaths(Policy({"/data", "/models"}), &*plan);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "data.root: \"/data/../etc\" contains '..'\n"
            "model.llm.path: /etc is outside the allowed roots (/data, /models)");
}

TEST(SpecPathsTest, ConfinePlanCapsTheList) {
  std::string roots = "[";
  for (int i = 0; i < 25; ++i) roots += absl::StrCat(i == 0 ? "" : ", ", "/elsewhere/", i);
  auto plan = PlanExperiment("name: p\ndata: {base: ptbxl, root: /data}\nmatrix:\n  data.root: " + roots + "]\n",
                             "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const absl::Status status = ConfinePlanPaths(Policy({"/data"}), &*plan);
  const std::string message(status.message());
  EXPECT_EQ(message.rfind("data.root: /elsewhere/0 is outside the allowed roots (/data)\n", 0), 0u) << message;
  EXPECT_NE(message.find("\ndata.root: /elsewhere/19 is outside"), std::string::npos);
  EXPECT_EQ(message.find("/elsewhere/20 "), std::string::npos);
  EXPECT_EQ(message.substr(message.rfind('\n') + 1), "... and 5 more");
}

TEST(SpecPathsTest, UnconfinedPlanIsUntouched) {
  auto plan = PlanExperiment(kAllPathsSpec, "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(ConfinePlanPaths(PathPolicy(), &*plan).ok());
  EXPECT_EQ(RunPaths(plan->runs[0]).at("data.root"), "ptb-xl");
}

TEST(SpecPathsTest, StageParamsCheckFollowsSymlinks) {
  namespace fs = std::filesystem;
  const fs::path root = fs::weakly_canonical(fs::temp_directory_path()) / absl::StrCat("spec_paths_test_", ::getpid());
  fs::remove_all(root);
  fs::create_directories(root / "data" / "ptb-xl");
  fs::create_directories(root / "outside");
  fs::create_directory_symlink(root / "outside", root / "data" / "link");
  const std::string data = (root / "data").string();
  const PathPolicy policy = Policy({data});

  EXPECT_TRUE(CheckStageParamsPaths(policy, nlohmann::json({{"data", {{"root", data + "/ptb-xl"}}}}).dump()).ok());
  const absl::Status escaped = CheckStageParamsPaths(
      policy, nlohmann::json({{"data", {{"root", data + "/link"}}}, {"model", {{"llm", {{"path", "/etc"}}}}}}).dump());
  EXPECT_EQ(escaped.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(escaped.message(), absl::StrCat("data.root: ", data, "/link resolves to ", root.string(),
                                            "/outside, outside the allowed roots (", data, ")\n",
                                            "model.llm.path: /etc is outside the allowed roots (", data, ")"));
  EXPECT_TRUE(CheckStageParamsPaths(policy, "").ok());
  EXPECT_TRUE(CheckStageParamsPaths(PathPolicy(), "not json").ok());
  EXPECT_EQ(CheckStageParamsPaths(policy, "not json").code(), absl::StatusCode::kInvalidArgument);
  fs::remove_all(root);
}

}  // namespace
}  // namespace ecgbench::common
