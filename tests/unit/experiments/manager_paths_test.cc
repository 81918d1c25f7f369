// Manager::Submit with a path policy (--data-root): a spec naming a path outside the roots is
// refused with the field and the reason and nothing is stored (also not after a restart); relative
// paths reach the workers made absolute. Also the submit-size bound.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/util/json.h"
#include "server/experiments/manager.h"
#include "tests/unit/testing/fake_clock.h"

namespace ecgbench::server {
namespace {

constexpr char kSpec[] = R"yaml(name: confined
data: {base: ptbxl, root: ROOT, mapped: ecg-qa-ptbxl, mapped_root: /data/ecg-qa}
model: {llm: {path: LLM}}
evaluate: {}
)yaml";

std::string Spec(const std::string& root, const std::string& llm) {
  std::string text = kSpec;
  text.replace(text.find("ROOT"), 4, root);
  text.replace(text.find("LLM"), 3, llm);
  return text;
}

class ManagerPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ecgbench_manager_paths_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    manager_.reset();
    store_.reset();
    auto s = Store::Open((dir_ / "coordinator.db").string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ManagerOptions o;
    o.path_policy = common::PathPolicy::Create({"/data", "/models"}).value();
    manager_ = std::make_unique<Manager>(o, store_.get(), &clock_, nullptr);
    ASSERT_TRUE(manager_->Recover().ok());
  }
  absl::StatusOr<SubmitResult> Submit(const std::string& yaml, bool validate_only = false) {
    v1::SubmitExperimentRequest r;
    r.set_spec_yaml(yaml);
    r.set_spec_name("test.yaml");
    r.set_request_id("req-1");
    r.set_validate_only(validate_only);
    return manager_->Submit(r);
  }
  int Stored() { return manager_->ListExperiments({})->experiments_size(); }

  std::filesystem::path dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerPathsTest, PathOutsideTheRootsIsRefusedAndNothingStored) {
  auto refused = Submit(Spec("/data/ptb-xl", "/etc"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(), "model.llm.path: /etc is outside the allowed roots (/data, /models)");
  EXPECT_EQ(Stored(), 0);
  // The request id was not taken: the corrected spec goes through under the same id.
  auto accepted = Submit(Spec("/data/ptb-xl", "/models/llama"));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->created);
  EXPECT_EQ(Stored(), 1);
  Reopen();
  EXPECT_EQ(Stored(), 1);
}

TEST_F(ManagerPathsTest, DotDotIsInvalidArgument) {
  auto refused = Submit(Spec("/data/../etc", "/models/llama"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "data.root: \"/data/../etc\" contains '..'");
  Reopen();
  EXPECT_EQ(Stored(), 0);
}

TEST_F(ManagerPathsTest, ValidateOnlyChecksPathsToo) {
  auto refused = Submit(Spec("/data2/ptb-xl", "/models/llama"), /*validate_only=*/true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "data.root: /data2/ptb-xl is outside the allowed roots (/data, /models)");
  EXPECT_TRUE(Submit(Spec("/data/ptb-xl", "/models/llama"), true).ok());
  EXPECT_EQ(Stored(), 0);
}

TEST_F(ManagerPathsTest, RelativePathsReachWorkersAbsolute) {
  const std::string spec = Spec("ptb-xl/1.0.3", "/models//llama/");
  auto accepted = Submit(spec);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  // The stored spec text is the one submitted; the stage parameters carry the checked paths.
  auto stored = manager_->GetExperiment(accepted->experiment.id(), true);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->spec_yaml(), spec);

  v1::RegisterWorkerRequest r;
  r.set_name("w");
  r.mutable_resources()->set_cpu_cores(4);
  r.mutable_resources()->set_memory_bytes(int64_t{8} << 30);
  r.add_stage_kinds("preprocess");
  auto worker = manager_->RegisterWorker(r);
  ASSERT_TRUE(worker.ok()) << worker.status();
  auto assignment = manager_->AcquireTask(worker->worker_id(), 0);
  ASSERT_TRUE(assignment.ok() && assignment->has_value()) << assignment.status();
  EXPECT_EQ((*assignment)->stage_kind(), "preprocess");
  auto params = common::ParseJson((*assignment)->params_json(), "params");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ((*params)["data"]["root"], "/data/ptb-xl/1.0.3");
  EXPECT_EQ((*params)["data"]["mapped_root"], "/data/ecg-qa");
}

TEST_F(ManagerPathsTest, SpecLargerThanOneMebibyteIsRefusedBeforeParsing) {
  const std::string huge = "name: big\nprobe: {}\n# " + std::string(1 << 20, 'x') + "\n";
  auto refused = Submit(huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "test.yaml: " + std::to_string(huge.size()) + " bytes, more than the limit of 1048576");
  EXPECT_EQ(Stored(), 0);
}

}  // namespace
}  // namespace ecgbench::server
