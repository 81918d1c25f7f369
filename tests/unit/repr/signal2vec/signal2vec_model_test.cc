// Signal2Vec files: Save/Load round trip and clear errors for missing or malformed files.
#include "common/repr/signal2vec/signal2vec_model.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/ecg/formats/npy.h"
#include "common/util/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {
namespace {

using ::testing::HasSubstr;

class Signal2VecModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s2v_model_testXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  static Signal2VecModel SmallModel() {
    Signal2VecModel m;
    m.vocab_size = 3;
    m.dim = 2;
    m.options.dim = 2;
    m.options.seed = 7;
    m.embeddings = {0.5f, -1.25f, 0.0f, 3.0e-7f, -0.125f, 2.0f};
    m.freq = {4, 0, 9};
    m.raw_counts = {40, 1, 90};
    m.final_loss = 1.375;
    m.steps = 12;
    m.pairs_per_epoch = 1000;
    return m;
  }

  nlohmann::json ReadJson() {
    auto text = ReadFile(dir_ + "/signal2vec.json");
    EXPECT_TRUE(text.ok());
    return nlohmann::json::parse(*text);
  }
  void WriteJson(const nlohmann::json& json) {
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/signal2vec.json", json.dump()).ok());
  }

  std::string dir_;
};

TEST_F(Signal2VecModelTest, RoundTrip) {
  const Signal2VecModel m = SmallModel();
  ASSERT_TRUE(SaveSignal2VecModel(m, dir_ + "/model").ok());
  auto back = LoadSignal2VecModel(dir_ + "/model");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->vocab_size, 3);
  EXPECT_EQ(back->dim, 2);
  EXPECT_EQ(back->embeddings, m.embeddings);
  EXPECT_EQ(back->freq, m.freq);
  EXPECT_EQ(back->raw_counts, m.raw_counts);
  EXPECT_EQ(back->final_loss, 1.375);
  EXPECT_EQ(back->steps, 12);
  EXPECT_EQ(back->pairs_per_epoch, 1000);
  EXPECT_EQ(back->options.seed, 7u);
  EXPECT_EQ(Signal2VecOptionsToJson(back->options), Signal2VecOptionsToJson(m.options));
  EXPECT_EQ(back->Row(2)[1], 2.0f);

  // embeddings.npy is a plain float32 [3 x 2] array.
  auto array = ecg::ReadNpy(dir_ + "/model/embeddings.npy");
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(array->dtype, ecg::NpyDtype::kFloat32);
  EXPECT_EQ(array->shape, (std::vector<int64_t>{3, 2}));
}

TEST_F(Signal2VecModelTest, SaveRejectsInconsistentModels) {
  Signal2VecModel m = SmallModel();
  m.freq.pop_back();
  EXPECT_EQ(SaveSignal2VecModel(m, dir_).message(),
            "signal2vec model for " + dir_ + ": freq and raw_counts need vocab_size 3 entries, have 2 and 3");
  m = SmallModel();
  m.embeddings[3] = std::nanf("");
  EXPECT_EQ(SaveSignal2VecModel(m, dir_).message(),
            "signal2vec model for " + dir_ + ": embedding of token 1 has a non-finite value");
  m = SmallModel();
  m.options.dim = 3;
  EXPECT_EQ(SaveSignal2VecModel(m, dir_).message(),
            "signal2vec model for " + dir_ + ": options.dim 3 differs from dim 2");
}

TEST_F(Signal2VecModelTest, MissingFiles) {
  EXPECT_EQ(LoadSignal2VecModel(dir_ + "/nothing").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(SaveSignal2VecModel(SmallModel(), dir_).ok());
  ASSERT_EQ(unlink((dir_ + "/embeddings.npy").c_str()), 0);
  auto status = LoadSignal2VecModel(dir_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("embeddings.npy"));
}

TEST_F(Signal2VecModelTest, MalformedJson) {
  ASSERT_TRUE(SaveSignal2VecModel(SmallModel(), dir_).ok());
  const nlohmann::json good = ReadJson();
  const std::string file = dir_ + "/signal2vec.json";

  ASSERT_TRUE(WriteFileAtomic(file, "{\"format\": ").ok());
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().code(), absl::StatusCode::kInvalidArgument);

  nlohmann::json j = good;
  j["format"] = "pickle";
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(),
            file + ": field 'format' must be \"ecgbench.signal2vec\"");

  j = good;
  j["version"] = 2;
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(), file + ": field 'version' is 2; this build reads version 1");

  j = good;
  j["dim"] = 0;
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(), file + ": field 'dim' must be a positive integer, got 0");

  j = good;
  j.erase("vocab_size");
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(), file + ": field 'vocab_size' is missing");

  j = good;
  j["freq"] = {1, 2};
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(),
            file + ": field 'freq' has 2 entries, expected vocab_size 3");

  j = good;
  j["raw_counts"][1] = -4;
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(),
            file + ": field 'raw_counts' entry 1 must be a non-negative integer");

  j = good;
  j["options"]["negatives"] = 0;
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(), file + ": options.negatives: expected an integer in range");

  j = good;
  j["vocab_size"] = 4;
  j["freq"] = {1, 2, 3, 4};
  j["raw_counts"] = {1, 2, 3, 4};
  WriteJson(j);
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(),
            dir_ + "/embeddings.npy: shape (3, 2) does not match vocab_size 4 x dim 2 of " + file);
}

TEST_F(Signal2VecModelTest, MalformedNpy) {
  ASSERT_TRUE(SaveSignal2VecModel(SmallModel(), dir_).ok());
  const std::string npy = dir_ + "/embeddings.npy";
  const double values[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(ecg::WriteNpy(npy, {3, 2}, values).ok());
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().message(), npy + ": dtype <f8 not supported (expected <f4)");
  const float flat[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(ecg::WriteNpy(npy, {6}, flat).ok());
  EXPECT_THAT(LoadSignal2VecModel(dir_).status().message(), HasSubstr("shape (6,) does not match"));
  ASSERT_TRUE(WriteFileAtomic(npy, "garbage").ok());
  EXPECT_EQ(LoadSignal2VecModel(dir_).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecgbench::common::repr
