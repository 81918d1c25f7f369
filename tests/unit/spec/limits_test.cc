// Size limits of the YAML adapter (text, strings, lists, nesting, alias expansion) and its tree.
#include <string>

#include "common/spec/yaml_adapter.h"
#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

TEST(LimitsTest, TextLongerThanOneMebibyte) {
  std::string yaml = "name: t\nprobe: {}\ndescription: x\n";
  yaml += "# " + std::string((1 << 20), 'x') + "\n";
  EXPECT_EQ(PlanError(yaml), "spec: text of " + std::to_string(yaml.size()) +
                                 " bytes is longer than the limit of 1048576 bytes (spec.yaml:1)");
}

TEST(LimitsTest, StringLongerThan4096Characters) {
  const std::string yaml = "name: t\nprobe: {}\ndescription: " + std::string(4097, 'd') + "\n";
  EXPECT_EQ(
      PlanError(yaml),
      "description: string of 4097 characters is longer than the limit of 4096 (spec.yaml:3)");
  EXPECT_EQ(PlanError("name: t\nprobe: {}\ndescription: " + std::string(4096, 'd') + "\n"), "OK");
}

TEST(LimitsTest, KeyLongerThan4096Characters) {
  // An explicit key ("? "): yaml-cpp caps implicit keys at 1024 characters.
  const std::string yaml = "name: t\nprobe:\n  ? " + std::string(5000, 'k') + "\n  : 1\n";
  EXPECT_EQ(PlanError(yaml),
            "probe: key of 5000 characters is longer than the limit of 4096 (spec.yaml:3)");
}

TEST(LimitsTest, ListLongerThan10000Items) {
  std::string list = "[";
  for (int i = 0; i < 10001; ++i) list += i == 0 ? "1" : ",1";
  list += "]";
  EXPECT_EQ(PlanError("name: t\nprobe: {}\nmatrix:\n  probe.ranks: " + list + "\n"),
            "matrix.probe.ranks: list of 10001 items is longer than the limit of 10000 "
            "(spec.yaml:4)");
}

TEST(LimitsTest, NestingDeeperThan64Levels) {
  std::string deep = "name: t\nprobe: {}\nlabels: ";
  for (int i = 0; i < 70; ++i) deep += "[";
  for (int i = 0; i < 70; ++i) deep += "]";
  EXPECT_EQ(PlanError(deep + "\n"),
            "labels[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
            "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
            "[0][0][0][0][0][0][0][0][0]: nested deeper than the limit of 64 levels (spec.yaml:3)");
}

TEST(LimitsTest, AliasExpansionIsBounded) {
  // Each level doubles: 2^20 leaves after expansion from a few hundred bytes of text.
  std::string yaml = "name: t\nprobe: {}\nlabels:\n  l0: &a0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    yaml += "  l" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  }
  const std::string error = PlanError(yaml);
  EXPECT_NE(error.find("the document expands to more than 200000 values (aliases?)"),
            std::string::npos)
      << error;
}

TEST(YamlAdapterTest, KeepsLinesQuotingAndOrder) {
  absl::StatusOr<SpecNode> root = ParseYamlTree(
      "a: 1\n"
      "b: \"2\"\n"
      "c:\n"
      "  - x\n"
      "  - {d: ~}\n"
      "e:\n",
      "t.yaml");
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(root->IsMap());
  ASSERT_EQ(root->entries.size(), 4u);
  EXPECT_EQ(root->entries[0].key, "a");
  EXPECT_FALSE(root->entries[0].value.quoted);
  EXPECT_EQ(root->entries[1].value.text, "2");
  EXPECT_TRUE(root->entries[1].value.quoted);
  EXPECT_EQ(root->entries[1].key_line, 2);
  const SpecNode& list = root->entries[2].value;
  ASSERT_TRUE(list.IsList());
  EXPECT_EQ(list.items[0].line, 4);
  EXPECT_EQ(list.items[1].line, 5);
  EXPECT_TRUE(list.items[1].entries[0].value.IsNull());
  EXPECT_EQ(list.items[1].entries[0].value.line, 5);
  EXPECT_TRUE(root->entries[3].value.IsNull());
  EXPECT_EQ(root->entries[3].value.line, 6);
}

TEST(YamlAdapterTest, RejectsNonStringKeys) {
  absl::StatusOr<SpecNode> root = ParseYamlTree("? [1, 2]\n: 3\n", "t.yaml");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message(), "spec: keys must be strings, got a list (t.yaml:1)");
}

TEST(YamlAdapterTest, SyntaxErrorPosition) {
  absl::StatusOr<SpecNode> root = ParseYamlTree("a: 1\nb: c: d\n", "t.yaml");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message(), "t.yaml:2:5: YAML syntax error: illegal map value");
}

}  // namespace
}  // namespace ecgbench::common::testing

namespace ecgbench::common::testing {
namespace {

// Nothing crashes on bad input: deterministic single-character mutations of the example spec
// either plan or fail with InvalidArgument and a message.
TEST(RobustnessTest, MutatedSpecsNeverCrash) {
  const std::string original = kExampleSpec;
  const char kReplacements[] = {':', '[', '{',  '-', ' ', '\n', '&',
                                '*', '"', '\'', '?', '|', '#',  '0'};
  int invalid = 0;
  for (size_t pos = 0; pos < original.size(); pos += 17) {
    for (char c : kReplacements) {
      std::string mutated = original;
      mutated[pos] = c;
      absl::StatusOr<ExperimentPlan> plan = PlanExperiment(mutated, "spec.yaml");
      if (plan.ok()) continue;
      ++invalid;
      EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << mutated;
      EXPECT_FALSE(plan.status().message().empty());
    }
    std::string truncated = original.substr(0, pos);
    absl::StatusOr<ExperimentPlan> plan = PlanExperiment(truncated, "spec.yaml");
    if (!plan.ok()) {
      EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_GT(invalid, 100);
}

}  // namespace
}  // namespace ecgbench::common::testing

namespace ecgbench::common::testing {
namespace {

TEST(LimitsTest, ExpansionWorkIsBounded) {
  // 1000 runs of a spec with 6005 values would copy and validate 6 million values.
  std::string yaml = "name: t\nprobe: {}\nlabels:\n";
  for (int i = 0; i < 6000; ++i) yaml += "  l" + std::to_string(i) + ": v\n";
  std::string rates = "[";
  for (int i = 0; i < 1000; ++i) rates += std::to_string(i + 1) + (i < 999 ? "," : "]");
  yaml += "matrix:\n  probe.ranks: " + rates + "\n";
  EXPECT_EQ(PlanError(yaml),
            "matrix: expands to 1000 runs of 6005 values each; the limit is 5000000 values in all "
            "(spec.yaml:6004)");
}

}  // namespace
}  // namespace ecgbench::common::testing
