// FileLock: exclusive between holders (also across processes), released by the destructor and by
// the death of the holding process, and a waiting Acquire can be cancelled.
#include "common/util/file_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace ecgbench::common {
namespace {

std::string TempPath(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ecgbench_lock_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(FileLockTest, SecondHolderWaitsUntilTheFirstReleases) {
  const std::string path = TempPath("a/b/artifact.lock");  // parents are created
  absl::StatusOr<FileLock> first = FileLock::Acquire(path);
  ASSERT_TRUE(first.ok()) << first.status();
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    absl::StatusOr<FileLock> second = FileLock::Acquire(path, nullptr, absl::Milliseconds(5));
    EXPECT_TRUE(second.ok()) << second.status();
    acquired = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(acquired.load());  // still held by `first`
  { FileLock released = *std::move(first); }
  waiter.join();
  EXPECT_TRUE(acquired.load());
}

TEST(FileLockTest, WaitingIsCancellable) {
  const std::string path = TempPath("cancel.lock");
  absl::StatusOr<FileLock> held = FileLock::Acquire(path);
  ASSERT_TRUE(held.ok());
  int polls = 0;
  absl::StatusOr<FileLock> waiting = FileLock::Acquire(path, [&] { return ++polls >= 3; }, absl::Milliseconds(1));
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(waiting.status().message(), path + ": cancelled while waiting for the lock");
  EXPECT_EQ(polls, 3);
}

TEST(FileLockTest, ADeadHolderLeavesNoStaleLock) {
  const std::string path = TempPath("dead.lock");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    ::_exit(lock.ok() ? 0 : 1);  // dies holding the lock
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int polls = 0;
  absl::StatusOr<FileLock> lock = FileLock::Acquire(path, [&] { return ++polls > 10; }, absl::Milliseconds(1));
  EXPECT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(FileLock::ForArtifact("/r/preprocess/ab/abcdef/"), "/r/preprocess/ab/abcdef.lock");
}

TEST(FileLockTest, UnwritableDirectoryNamesThePath) {
  absl::StatusOr<FileLock> lock = FileLock::Acquire("/proc/ecgbench-no-such/x.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.status().message().find("/proc/ecgbench-no-such/x.lock: cannot open the lock file"), std::string::npos)
      << lock.status();
}

}  // namespace
}  // namespace ecgbench::common
