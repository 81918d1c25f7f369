// The bad-input corpus (tests/data/bad) through the loaders the product uses, torch-free kinds:
// each file must fail with exactly the status code and message expected.tsv gives, and no file may
// crash any loader (every file also goes through every other loader). The checkpoint kinds need
// LibTorch: checkpoint_bad_input_test.cc.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/formats/catalogs.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/model_io/safetensors_file.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/spec/plan.h"
#include "common/text/tokenizer.h"
#include "common/util/files.h"
#include "gtest/gtest.h"
#include "tests/unit/bad_input/corpus.h"

namespace ecgbench::bad_input {
namespace {

namespace fs = std::filesystem;

const char* const kCatalogs[] = {"ptbxl", "mimic", "code15", "cpsc", "csn"};

// Runs `path` through the loader of `kind`. A catalog that loads but skipped rows gives
// SKIPPED: its first problem (the manifest's code for row-level problems).
struct Outcome {
  std::string code;
  std::string message;
};

Outcome Load(const std::string& kind, const std::string& path) {
  absl::Status status;
  if (kind == "spec") {
    absl::StatusOr<std::string> text = common::ReadFile(path);
    status = text.ok() ? common::PlanExperiment(*text, fs::path(path).filename().string()).status() : text.status();
  } else if (kind == "wfdb") {
    status = common::ecg::ReadWfdbRecord(path).status();
  } else if (kind.rfind("catalog:", 0) == 0) {
    absl::StatusOr<common::ecg::Catalog> catalog = common::ecg::LoadCatalog(kind.substr(8), path);
    if (catalog.ok() && catalog->report.skipped > 0 && !catalog->report.problems.empty()) {
      return {"SKIPPED", catalog->report.problems[0]};
    }
    status = catalog.status();
  } else if (kind == "safetensors") {
    status = common::model_io::SafetensorsFile::Open(path).status();
  } else if (kind == "hf_tokenizer") {
    status = common::text::LoadTokenizer(path).status();
  } else if (kind == "ecg_byte_tokenizer") {
    status = common::repr::LoadTokenizer(path).status();
  } else {
    return {"UNKNOWN_KIND", kind};
  }
  return {absl::StatusCodeToString(status.code()), std::string(status.message())};
}

class BadInputTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() { corpus_ = new PreparedCorpus(); }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }
  static PreparedCorpus* corpus_;
};

PreparedCorpus* BadInputTest::corpus_ = nullptr;

TEST_P(BadInputTest, ExactError) {
  const Case& c = GetParam();
  ASSERT_TRUE(corpus_->error().empty()) << corpus_->error();
  const std::string path = *corpus_ / c.path;
  ASSERT_TRUE(fs::exists(path)) << path << " (expected.tsv:" << c.line << ")";
  const Outcome got = Load(c.kind, path);
  EXPECT_EQ(got.code, c.code) << "expected.tsv:" << c.line << " " << c.path << ": " << got.message;
  EXPECT_EQ(got.message, corpus_->Expand(c.message)) << "expected.tsv:" << c.line << " " << c.path;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputTest,
                         ::testing::ValuesIn(CasesOfKinds({"spec", "wfdb", "catalog:", "safetensors", "hf_tokenizer",
                                                           "ecg_byte_tokenizer"})),
                         [](const ::testing::TestParamInfo<Case>& info) { return TestName(info.param); });

TEST(BadInputManifestTest, EveryCaseIsListedOnceWithAKnownKind) {
  std::vector<Case> cases;
  ASSERT_TRUE(ReadManifest(SourceCorpusDir() + "/expected.tsv", &cases).ok());
  const std::set<std::string> kinds = {"spec", "wfdb", "safetensors", "hf_tokenizer", "ecg_byte_tokenizer",
                                       "checkpoint", "checkpoint_latest", "catalog:ptbxl", "catalog:mimic",
                                       "catalog:code15", "catalog:cpsc", "catalog:csn"};
  const std::set<std::string> codes = {"INVALID_ARGUMENT", "NOT_FOUND", "DATA_LOSS", "OUT_OF_RANGE",
                                       "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "SKIPPED"};
  std::map<std::string, int> per_folder;
  std::set<std::string> paths;
  for (const Case& c : cases) {
    EXPECT_TRUE(kinds.count(c.kind)) << "expected.tsv:" << c.line << ": unknown kind " << c.kind;
    EXPECT_TRUE(codes.count(c.code)) << "expected.tsv:" << c.line << ": unexpected code " << c.code;
    EXPECT_TRUE(paths.insert(c.path).second) << "expected.tsv:" << c.line << ": " << c.path << " listed twice";
    EXPECT_FALSE(c.message.empty()) << "expected.tsv:" << c.line;
    ++per_folder[c.path.substr(0, c.path.find('/'))];
  }
  EXPECT_GE(cases.size(), 50u);
  for (const char* folder : {"spec", "wfdb", "csv", "safetensors", "tokenizer", "checkpoint"}) {
    EXPECT_GE(per_folder[folder], 5) << folder;
  }
  // Every case folder entry of the prepared corpus is some row's path or lies under one.
  PreparedCorpus corpus;
  ASSERT_TRUE(corpus.error().empty()) << corpus.error();
  for (const char* folder : {"spec", "wfdb", "csv", "safetensors", "tokenizer", "checkpoint"}) {
    for (const fs::directory_entry& e : fs::directory_iterator(corpus / folder)) {
      const std::string rel = std::string(folder) + "/" + e.path().filename().string();
      bool listed = false;
      for (const std::string& p : paths) listed = listed || p == rel || p.rfind(rel + "/", 0) == 0;
      EXPECT_TRUE(listed) << rel << " is in the corpus but not in expected.tsv";
    }
  }
}

// Every file and folder through every loader: any status is fine, a crash (or a sanitizer report
// under ASan) is not.
TEST(BadInputCrossTest, NoLoaderCrashesOnAnyCorpusFile) {
  PreparedCorpus corpus;
  ASSERT_TRUE(corpus.error().empty()) << corpus.error();
  int runs = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(corpus.root())) {
    const std::string path = e.path().string();
    if (e.is_regular_file()) {
      for (const char* kind : {"spec", "safetensors", "hf_tokenizer", "ecg_byte_tokenizer"}) {
        Load(kind, path);
        ++runs;
      }
      if (e.path().extension() == ".hea") {
        Load("wfdb", path);
        ++runs;
      }
    } else if (e.is_directory()) {
      for (const char* dataset : kCatalogs) {
        Load(std::string("catalog:") + dataset, path);
        ++runs;
      }
      Load("hf_tokenizer", path);
      ++runs;
    }
  }
  EXPECT_GT(runs, 300);
}

}  // namespace
}  // namespace ecgbench::bad_input
