// configs/quickstart.yaml (what scripts/quickstart.sh runs) must always plan: a probe-only spec.
#include <fstream>
#include <sstream>
#include <string>

#include "common/spec/plan.h"
#include "gtest/gtest.h"

namespace ecgbench::common {
namespace {

TEST(QuickstartSpecTest, ParsesAndPlansAProbe) {
  std::ifstream in(ECGBENCH_QUICKSTART_SPEC);
  ASSERT_TRUE(in.good()) << "cannot read " << ECGBENCH_QUICKSTART_SPEC;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ExperimentPlan> plan = PlanExperiment(text.str(), "quickstart.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "quickstart");
  EXPECT_FALSE(plan->description.empty());
  ASSERT_EQ(plan->runs.size(), 1u);
  ASSERT_FALSE(plan->runs[0].stages.empty());
  const StagePlan& probe = plan->runs[0].stages[0];
  EXPECT_EQ(probe.kind, "probe");
  ASSERT_EQ(probe.tasks.size(), 1u);
  EXPECT_EQ(probe.tasks[0].ranks, 2);
  EXPECT_EQ(probe.tasks[0].per_rank.cpu_cores, 1);
  EXPECT_EQ(probe.params["duration_s"], 3.0);
}

}  // namespace
}  // namespace ecgbench::common
