// PathPolicy: roots, the coordinator's lexical check and the worker's symlink-resolved check
// (with a real temporary directory tree and symbolic links).
#include "common/security/path_policy.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ecgbench::common {
namespace {

namespace fs = std::filesystem;

PathPolicy Policy(const std::vector<std::string>& roots) {
  absl::StatusOr<PathPolicy> policy = PathPolicy::Create(roots);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : PathPolicy();
}

TEST(PathPolicyTest, NormalizesAndComparesComponentWise) {
  EXPECT_EQ(NormalizeAbsolutePath("/a//./b/"), "/a/b");
  EXPECT_EQ(NormalizeAbsolutePath("//"), "/");
  EXPECT_EQ(NormalizeAbsolutePath("/."), "/");
  EXPECT_TRUE(IsUnderRoot("/data", "/data"));
  EXPECT_TRUE(IsUnderRoot("/data/x", "/data"));
  EXPECT_FALSE(IsUnderRoot("/data2", "/data"));
  EXPECT_FALSE(IsUnderRoot("/dat", "/data"));
  EXPECT_TRUE(IsUnderRoot("/etc", "/"));
}

TEST(PathPolicyTest, CreateValidatesAndNormalizesRoots) {
  const PathPolicy policy = Policy({"/data/", "/models//llm", "/data"});
  EXPECT_TRUE(policy.confined());
  EXPECT_EQ(policy.roots(), (std::vector<std::string>{"/data", "/models/llm"}));
  EXPECT_EQ(policy.RootsText(), "/data, /models/llm");

  auto relative = PathPolicy::Create({"/data", "data"});
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(relative.status().message(), "\"data\" is not an absolute path");
  auto dotdot = PathPolicy::Create({"/data/../etc"});
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.status().message(), "\"/data/../etc\" contains '..'");
  auto empty = PathPolicy::Create({""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "an empty path is not a root");
  EXPECT_FALSE(PathPolicy::Create({}).value().confined());
}

TEST(PathPolicyTest, UnconfinedPassesEverythingUnchanged) {
  const PathPolicy open;
  EXPECT_FALSE(open.confined());
  EXPECT_EQ(open.CheckLexical("data.root", "/data/../etc").value(), "/data/../etc");
  EXPECT_EQ(open.CheckLexical("data.root", "relative/dir").value(), "relative/dir");
  EXPECT_EQ(open.CheckResolved("data.root", "/etc/passwd").value(), "/etc/passwd");
}

TEST(PathPolicyTest, LexicalRejectsDotDotEvenInside) {
  const PathPolicy policy = Policy({"/data"});
  for (const std::string path : {"/data/../etc", "/data/a/../b", "..", "a/../../x", "/data/.."}) {
    auto checked = policy.CheckLexical("data.root", path);
    ASSERT_FALSE(checked.ok()) << path;
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(checked.status().message(), absl::StrCat("data.root: \"", path, "\" contains '..'"));
  }
  // A name that merely contains dots is fine.
  EXPECT_EQ(policy.CheckLexical("data.root", "/data/a..b/...").value(), "/data/a..b/...");
}

TEST(PathPolicyTest, LexicalOutsideTheRootsIsPermissionDenied) {
  const PathPolicy policy = Policy({"/data", "/models"});
  auto etc = policy.CheckLexical("model.llm.path", "/etc");
  ASSERT_FALSE(etc.ok());
  EXPECT_EQ(etc.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(etc.status().message(), "model.llm.path: /etc is outside the allowed roots (/data, /models)");
  auto sibling = policy.CheckLexical("data.root", "/data2/ptb-xl");
  ASSERT_FALSE(sibling.ok());
  EXPECT_EQ(sibling.status().message(), "data.root: /data2/ptb-xl is outside the allowed roots (/data, /models)");
  EXPECT_FALSE(policy.CheckLexical("data.root", "/").ok());
  EXPECT_EQ(policy.CheckLexical("data.root", "/data").value(), "/data");
  EXPECT_EQ(policy.CheckLexical("model.llm.path", "/models//Llama/").value(), "/models/Llama");
}

TEST(PathPolicyTest, LexicalResolvesRelativePathsAgainstTheFirstRoot) {
  const PathPolicy policy = Policy({"/data", "/models"});
  EXPECT_EQ(policy.CheckLexical("data.root", "ptb-xl/1.0.3").value(), "/data/ptb-xl/1.0.3");
  EXPECT_EQ(policy.CheckLexical("data.root", "./ptb-xl/").value(), "/data/ptb-xl");
  EXPECT_EQ(policy.CheckLexical("data.root", ".").value(), "/data");
}

TEST(PathPolicyTest, RootSlashAllowsEveryAbsolutePath) {
  const PathPolicy policy = Policy({"/"});
  EXPECT_EQ(policy.CheckLexical("data.root", "/etc/x").value(), "/etc/x");
  EXPECT_EQ(policy.CheckLexical("data.root", "x").value(), "/x");
  EXPECT_FALSE(policy.CheckLexical("data.root", "/a/../b").ok());
}

TEST(PathPolicyTest, NulCharacterIsRejected) {
  const PathPolicy policy = Policy({"/data"});
  auto checked = policy.CheckLexical("data.root", std::string("/data/a\0b", 9));
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(checked.status().message(), "data.root: path contains a NUL character");
}

// A real tree: ROOT/data/{ptb-xl/, inside -> ptb-xl, escape -> ROOT/secret, up -> ROOT},
// ROOT/secret/, ROOT/alias -> ROOT/data.
class ResolvedCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::weakly_canonical(fs::temp_directory_path()) /
            absl::StrCat("path_policy_test_", ::getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data" / "ptb-xl");
    fs::create_directories(root_ / "secret");
    fs::create_directory_symlink(root_ / "data" / "ptb-xl", root_ / "data" / "inside");
    fs::create_directory_symlink(root_ / "secret", root_ / "data" / "escape");
    fs::create_directory_symlink(root_, root_ / "data" / "up");
    fs::create_directory_symlink(root_ / "data", root_ / "alias");
    data_ = (root_ / "data").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  std::string data_;
};

TEST_F(ResolvedCheckTest, SymlinkEscapingTheRootIsRejected) {
  const PathPolicy policy = Policy({data_});
  const std::string escape = data_ + "/escape";
  auto checked = policy.CheckResolved("data.root", escape);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(checked.status().message(), absl::StrCat("data.root: ", escape, " resolves to ", root_.string(),
                                                     "/secret, outside the allowed roots (", data_, ")"));
  // Below the link, and a path that does not exist yet below it, too.
  EXPECT_FALSE(policy.CheckResolved("data.root", escape + "/missing/file").ok());
  auto up = policy.CheckResolved("model.llm.path", data_ + "/up");
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().message(), absl::StrCat("model.llm.path: ", data_, "/up resolves to ", root_.string(),
                                                ", outside the allowed roots (", data_, ")"));
}

TEST_F(ResolvedCheckTest, SymlinkStayingInsideIsAccepted) {
  const PathPolicy policy = Policy({data_});
  EXPECT_EQ(policy.CheckResolved("data.root", data_ + "/inside").value(), data_ + "/ptb-xl");
  EXPECT_EQ(policy.CheckResolved("data.root", data_ + "/ptb-xl").value(), data_ + "/ptb-xl");
  // Not created yet (an output folder): the existing prefix is resolved.
  EXPECT_EQ(policy.CheckResolved("data.root", data_ + "/new/dir").value(), data_ + "/new/dir");
}

TEST_F(ResolvedCheckTest, RootThatIsASymlinkIsResolvedToo) {
  const std::string alias = (root_ / "alias").string();
  const PathPolicy policy = Policy({alias});
  EXPECT_EQ(policy.CheckResolved("data.root", alias + "/ptb-xl").value(), data_ + "/ptb-xl");
  EXPECT_FALSE(policy.CheckResolved("data.root", alias + "/escape").ok());
  // Lexically outside every root: refused before anything is resolved.
  auto outside = policy.CheckResolved("data.root", data_ + "/ptb-xl");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().message(),
            absl::StrCat("data.root: ", data_, "/ptb-xl is outside the allowed roots (", alias, ")"));
}

TEST_F(ResolvedCheckTest, RelativeAndDotDotAreRejected) {
  const PathPolicy policy = Policy({data_});
  auto relative = policy.CheckResolved("data.root", "ptb-xl");
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(relative.status().message(),
            absl::StrCat("data.root: \"ptb-xl\" is relative; only absolute paths can be checked against the "
                         "allowed roots (", data_, ")"));
  auto dotdot = policy.CheckResolved("data.root", data_ + "/ptb-xl/../ptb-xl");
  ASSERT_FALSE(dotdot.ok());
  EXPECT_EQ(dotdot.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecgbench::common
