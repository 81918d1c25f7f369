// Every experiment spec shipped under configs/ (found by walking the folder, so a new spec is
// covered without touching this file) must pass the coordinator's validate_only path: the
// experiment manager's Submit with validate_only, as `ecgbench submit --validate-only` reaches it.
// A deliberately broken copy must be rejected, so the walk cannot pass by checking nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "server/experiments/manager.h"
#include "tests/unit/testing/fake_clock.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::server {
namespace {

namespace fs = std::filesystem;

// Spec files under `root` (recursively, *.yaml and *.yml), as paths relative to it, sorted.
std::vector<std::string> FindSpecs(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = it->path().extension().string();
    if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  EXPECT_FALSE(ec) << root << ": " << ec.message();
  std::sort(out.begin(), out.end());
  return out;
}

class ShippedSpecsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_ / "coordinator.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    manager_ = std::make_unique<Manager>(ManagerOptions{}, store_.get(), &clock_, nullptr);
    ASSERT_TRUE(manager_->Recover().ok());
  }

  // Submits `path` (named `name` in error messages) with validate_only.
  absl::StatusOr<v1::Experiment> Validate(const std::string& path, const std::string& name) {
    absl::StatusOr<std::string> text = common::ReadFile(path);
    if (!text.ok()) return text.status();
    v1::SubmitExperimentRequest request;
    request.set_spec_yaml(*text);
    request.set_spec_name(name);
    request.set_request_id(absl::StrCat("validate-", name));
    request.set_validate_only(true);
    absl::StatusOr<SubmitResult> result = manager_->Submit(request);
    if (!result.ok()) return result.status();
    return result->experiment;
  }

  // Validates every spec under `root`; returns "<relative path>: <status>" per rejected spec and
  // the accepted experiments by relative path.
  std::vector<std::string> ValidateTree(const std::string& root, std::map<std::string, v1::Experiment>* accepted) {
    std::vector<std::string> failures;
    for (const std::string& rel : FindSpecs(root)) {
      absl::StatusOr<v1::Experiment> e = Validate(root + "/" + rel, rel);
      if (!e.ok()) {
        failures.push_back(absl::StrCat(rel, ": ", e.status().ToString()));
      } else {
        accepted->emplace(rel, *std::move(e));
      }
    }
    return failures;
  }

  test_support::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ShippedSpecsTest, EverySpecUnderConfigsValidates) {
  std::map<std::string, v1::Experiment> accepted;
  const std::vector<std::string> failures = ValidateTree(ECGBENCH_CONFIGS_DIR, &accepted);
  for (const std::string& f : failures) ADD_FAILURE() << f;
  ASSERT_TRUE(accepted.count("quickstart.yaml")) << "the walk of " << ECGBENCH_CONFIGS_DIR << " missed quickstart.yaml";
  for (const auto& [rel, e] : accepted) {
    SCOPED_TRACE(rel);
    EXPECT_TRUE(e.id().empty());  // validate_only stores nothing
    EXPECT_FALSE(e.name().empty());
    EXPECT_GE(e.runs_size(), 1);
    EXPECT_EQ(e.num_runs(), e.runs_size());
    EXPECT_GE(e.tasks_total(), 1);
    for (const v1::Run& run : e.runs()) {
      EXPECT_GE(run.stages_size(), 1) << run.name();
      for (const v1::Stage& stage : run.stages()) EXPECT_GE(stage.tasks_size(), 1) << run.name() << " " << stage.kind();
    }
  }
  auto listed = manager_->ListExperiments({});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->experiments_size(), 0);
}

// The paper specs (configs/paper/**) each train and evaluate every variant on the five folds, with
// multi-GPU training ranks.
TEST_F(ShippedSpecsTest, PaperSpecsTrainAndScoreEveryVariantOnFiveFolds) {
  const std::string root = std::string(ECGBENCH_CONFIGS_DIR) + "/paper";
  std::map<std::string, v1::Experiment> accepted;
  const std::vector<std::string> failures = ValidateTree(root, &accepted);
  for (const std::string& f : failures) ADD_FAILURE() << f;
  // ECG-QA PTB-XL and MIMIC-IV, Pretrain MIMIC, ECG Instruct 45K, ECG Bench Pulse, ECG Instruct Pulse.
  EXPECT_GE(accepted.size(), 6u);
  for (const auto& [rel, e] : accepted) {
    SCOPED_TRACE(rel);
    std::map<std::string, std::set<std::string>> folds_by_variant;
    for (const v1::Run& run : e.runs()) {
      std::set<std::string> kinds;
      for (const v1::Stage& stage : run.stages()) {
        kinds.insert(stage.kind());
        if (stage.kind() == "train") {
          ASSERT_EQ(stage.tasks_size(), 1) << run.name();
          EXPECT_GE(stage.tasks(0).ranks(), 2) << run.name();
        }
      }
      for (const char* kind : {"preprocess", "dataset", "train", "evaluate", "score"}) {
        EXPECT_TRUE(kinds.count(kind)) << run.name() << " has no " << kind << " stage";
      }
      const auto fold = run.variant().find("fold");
      ASSERT_NE(fold, run.variant().end()) << run.name() << ": fold is not a matrix key";
      std::map<std::string, std::string> others;
      for (const auto& kv : run.variant()) {
        if (kv.first != "fold") others[kv.first] = kv.second;
      }
      std::string variant;
      for (const auto& [key, value] : others) absl::StrAppend(&variant, key, "=", value, ";");
      folds_by_variant[variant].insert(fold->second);
    }
    for (const auto& [variant, folds] : folds_by_variant) {
      EXPECT_EQ(folds, (std::set<std::string>{"1", "2", "3", "4", "5"})) << variant;
    }
  }
}

// A broken copy among good ones is the one reported, by its relative path, with the key and line.
TEST_F(ShippedSpecsTest, BrokenCopyIsReportedByTheWalk) {
  test_support::TempDir tree;
  const std::string quickstart = std::string(ECGBENCH_CONFIGS_DIR) + "/quickstart.yaml";
  absl::StatusOr<std::string> text = common::ReadFile(quickstart);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(common::WriteFileAtomic(tree / "good.yaml", *text).ok());
  ASSERT_TRUE(common::MakeDirs(tree / "nested").ok());
  const int lines = static_cast<int>(std::count(text->begin(), text->end(), '\n'));
  std::string broken = *text;
  if (!broken.empty() && broken.back() != '\n') broken.push_back('\n');
  broken += "resourcez: {ranks: 2}\n";
  const int broken_line = lines + (text->empty() || text->back() == '\n' ? 1 : 2);
  ASSERT_TRUE(common::WriteFileAtomic(tree / "nested/broken.yaml", broken).ok());
  ASSERT_TRUE(common::WriteFileAtomic(tree / "notes.txt", "not a spec: resourcez: 1\n").ok());

  std::map<std::string, v1::Experiment> accepted;
  const std::vector<std::string> failures = ValidateTree(tree.path(), &accepted);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(failures[0], "nested/broken.yaml: INVALID_ARGUMENT: ")) << failures[0];
  EXPECT_TRUE(absl::StrContains(failures[0], absl::StrCat("resourcez: unknown key; did you mean \"resources\"? (nested/broken.yaml:",
                                                          broken_line, ")")))
      << failures[0];
  EXPECT_EQ(accepted.size(), 1u);
  EXPECT_TRUE(accepted.count("good.yaml"));
}

// A shipped spec with a bad value is rejected too (not only unknown keys): the paper spec with its
// fold list reaching past folds.k.
TEST_F(ShippedSpecsTest, BadValueInAPaperSpecIsRejected) {
  const std::string path = std::string(ECGBENCH_CONFIGS_DIR) + "/paper/ecg-qa-ptbxl.yaml";
  absl::StatusOr<std::string> text = common::ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  const std::string good = "fold: [1, 2, 3, 4, 5]";
  const size_t at = text->find(good);
  ASSERT_NE(at, std::string::npos) << path << " has no line \"" << good << "\"";
  std::string broken = *text;
  broken.replace(at, good.size(), "fold: [1, 2, 3, 4, 6]");
  test_support::TempDir tree;
  ASSERT_TRUE(common::WriteFileAtomic(tree / "paper.yaml", broken).ok());
  absl::StatusOr<v1::Experiment> e = Validate(tree / "paper.yaml", "paper.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(e.status().message(), "matrix.fold[4]")) << e.status();
  EXPECT_TRUE(absl::StrContains(e.status().message(), "(paper.yaml:")) << e.status();
}

}  // namespace
}  // namespace ecgbench::server
