// Composition-root helpers of ecgbench-worker: labels flag, advertised metrics address, defaults.
#include "worker/worker_main.h"

#include <gtest/gtest.h>

namespace ecgbench::worker {
namespace {

TEST(WorkerMainTest, ParsesLabels) {
  auto labels = ParseLabels("zone=a, gpu = h100 ,empty=");
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (std::map<std::string, std::string>{{"zone", "a"}, {"gpu", "h100"}, {"empty", ""}}));
  EXPECT_TRUE(ParseLabels("")->empty());
  EXPECT_EQ(ParseLabels("zone").status(),
            absl::InvalidArgumentError(R"(--labels: expected key=value, got "zone")"));
  EXPECT_EQ(ParseLabels("=a").status(),
            absl::InvalidArgumentError(R"(--labels: expected key=value, got "=a")"));
  EXPECT_EQ(ParseLabels("a=1,a=2").status(),
            absl::InvalidArgumentError(R"(--labels: key "a" given twice)"));
}

TEST(WorkerMainTest, AdvertisesAReachableMetricsAddress) {
  EXPECT_EQ(AdvertisedMetricsAddress("0.0.0.0:9101", "node7", 9101), "node7:9101");
  EXPECT_EQ(AdvertisedMetricsAddress("0.0.0.0:0", "node7", 41234), "node7:41234");
  EXPECT_EQ(AdvertisedMetricsAddress("[::]:0", "node7", 41234), "node7:41234");
  EXPECT_EQ(AdvertisedMetricsAddress("127.0.0.1:0", "node7", 5000), "127.0.0.1:5000");
}

TEST(WorkerMainTest, FillsMachineDefaults) {
  WorkerFlags flags;
  FillMachineDefaults(flags);
  EXPECT_FALSE(flags.name.empty());
  EXPECT_GE(flags.cpus, 1);
  EXPECT_GT(flags.memory_bytes, 0);
  WorkerFlags given;
  given.name = "n";
  given.cpus = 3;
  given.memory_bytes = 7;
  FillMachineDefaults(given);
  EXPECT_EQ(given.name, "n");
  EXPECT_EQ(given.cpus, 3);
  EXPECT_EQ(given.memory_bytes, 7);
}

}  // namespace
}  // namespace ecgbench::worker
