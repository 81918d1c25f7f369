// InMemoryKv (set/get/wait, timeouts, binary values) and the TaskContext adapter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"
#include "worker/train/collective/rendezvous_kv.h"
#include "worker/train/collective/task_context_kv.h"

namespace ecgbench::worker::train {
namespace {

using ::testing::ElementsAre;

TEST(InMemoryKvTest, SetGetOverwriteAndMissing) {
  InMemoryKv kv;
  auto missing = kv.Get("a");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(kv.Set("a", "1").ok());
  ASSERT_TRUE(kv.Set("a", "2").ok());
  EXPECT_EQ(**kv.Get("a"), "2");
  EXPECT_EQ(kv.size(), 1u);
}

TEST(InMemoryKvTest, BinaryValuesRoundTrip) {
  InMemoryKv kv;
  const std::string bytes("\0\x01\xff\0z", 5);
  ASSERT_TRUE(kv.Set("bin", bytes).ok());
  auto values = kv.Wait({"bin"}, absl::Seconds(1));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->front(), bytes);
}

TEST(InMemoryKvTest, WaitBlocksUntilEveryKeyIsSetAndKeepsKeyOrder) {
  InMemoryKv kv;
  ASSERT_TRUE(kv.Set("b", "B").ok());
  std::thread setter([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(kv.Set("a", "A").ok());
  });
  auto values = kv.Wait({"a", "b"}, absl::Seconds(10));
  setter.join();
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre("A", "B"));
}

TEST(InMemoryKvTest, WaitTimesOutNamingTheMissingKeys) {
  InMemoryKv kv;
  ASSERT_TRUE(kv.Set("present", "x").ok());
  auto values = kv.Wait({"present", "absent1", "absent2"}, absl::Milliseconds(10));
  ASSERT_FALSE(values.ok());
  EXPECT_EQ(values.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(values.status().message(), "rendezvous: keys [absent1, absent2] not set within 10ms");
}

// A TaskContext whose KV is an InMemoryKv; `fail` makes every KV call return it.
class KvTaskContext final : public TaskContext {
 public:
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel, std::string_view) override {}
  void ReportProgress(int64_t, int64_t, std::string_view, std::string_view) override {}
  void ReportMetric(std::string_view, double, int64_t) override {}
  absl::Status KvSet(const std::string& key, const std::string& value) override {
    calls.push_back("set " + key);
    if (!fail.ok()) return fail;
    return kv.Set(key, value);
  }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string& key) override {
    calls.push_back("get " + key);
    if (!fail.ok()) return fail;
    return kv.Get(key);
  }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>& keys,
                                                 absl::Duration timeout) override {
    calls.push_back("wait " + std::to_string(keys.size()) + " " + absl::FormatDuration(timeout));
    if (!fail.ok()) return fail;
    return kv.Wait(keys, timeout);
  }
  bool cancelled() const override { return false; }
  bool preempt_requested() const override { return false; }
  const std::string& work_dir() const override { return dir_; }

  InMemoryKv kv;
  absl::Status fail;
  std::vector<std::string> calls;
  v1::Assignment assignment_;

 private:
  std::string dir_;
};

TEST(TaskContextKvTest, ForwardsToTheContext) {
  KvTaskContext context;
  TaskContextKv kv(context);
  ASSERT_TRUE(kv.Set("k", "v").ok());
  EXPECT_EQ(**kv.Get("k"), "v");
  auto values = kv.Wait({"k"}, absl::Seconds(3));
  ASSERT_TRUE(values.ok());
  EXPECT_THAT(*values, ElementsAre("v"));
  EXPECT_THAT(context.calls, ElementsAre("set k", "get k", "wait 1 3s"));
}

TEST(TaskContextKvTest, KeepsTheContextsErrors) {
  KvTaskContext context;
  context.fail = absl::CancelledError("KvWait: the assignment was cancelled");
  TaskContextKv kv(context);
  auto values = kv.Wait({"k"}, absl::Seconds(1));
  ASSERT_FALSE(values.ok());
  EXPECT_EQ(values.status(), context.fail);
  EXPECT_EQ(kv.Set("k", "v"), context.fail);
  EXPECT_EQ(kv.Get("k").status(), context.fail);
}

TEST(TaskContextKvTest, AttemptKeyPrefixNamesAttemptAndGroup) {
  v1::Assignment assignment;
  assignment.set_attempt_id("att-7");
  EXPECT_EQ(AttemptKeyPrefix(assignment, "gloo"), "collective/att-7/gloo/");
  EXPECT_NE(AttemptKeyPrefix(assignment, "gloo"), AttemptKeyPrefix(assignment, "nccl"));
  v1::Assignment rerun = assignment;
  rerun.set_attempt_id("att-8");
  EXPECT_NE(AttemptKeyPrefix(rerun, "gloo"), AttemptKeyPrefix(assignment, "gloo"));
}

}  // namespace
}  // namespace ecgbench::worker::train
