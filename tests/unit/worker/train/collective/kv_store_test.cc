// KvStore: the c10d::Store over a RendezvousKv (set/get/wait/check, prefix, timeout cap, KV errors
// kept, and the operations the KV cannot do atomically failing clearly).
#include "worker/train/collective/kv_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"

namespace ecgbench::worker::train {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Runs `f`, expects a c10::Error and returns its message (without backtrace).
template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  ADD_FAILURE() << "no c10::Error thrown";
  return "";
}

TEST(KvStoreTest, SetGetUnderThePrefix) {
  InMemoryKv kv;
  KvStore store(kv, "grp/", std::chrono::seconds(5));
  const std::vector<uint8_t> value = {0, 1, 255, 7};
  store.set("addr", value);
  EXPECT_EQ(**kv.Get("grp/addr"), std::string("\0\x01\xff\x07", 4));
  EXPECT_EQ(store.get("addr"), value);
  EXPECT_TRUE(store.check({"addr"}));
  EXPECT_FALSE(store.check({"addr", "other"}));
  EXPECT_EQ(store.prefix(), "grp/");
  EXPECT_TRUE(store.first_error().ok());
}

TEST(KvStoreTest, GetAndWaitBlockUntilAnotherRankSets) {
  InMemoryKv kv;
  KvStore store(kv, "p/", std::chrono::seconds(10));
  std::thread other([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(kv.Set("p/late", "x").ok());
  });
  store.wait({"late"});
  EXPECT_EQ(store.get("late"), Bytes("x"));
  other.join();
}

TEST(KvStoreTest, TheStoreTimeoutCapsLongerWaits) {
  InMemoryKv kv;
  KvStore store(kv, "p/", std::chrono::milliseconds(30));
  // c10d asks for 10 minutes (Gloo passes its operation timeout); the rendezvous cap applies.
  const std::string message = ErrorOf([&] { store.wait({"never"}, std::chrono::minutes(10)); });
  EXPECT_THAT(message, HasSubstr("rendezvous KV (prefix p/): DEADLINE_EXCEEDED"));
  EXPECT_THAT(message, HasSubstr("p/never"));
  EXPECT_EQ(store.first_error().code(), absl::StatusCode::kDeadlineExceeded);
  // get waits for the key up to the same cap.
  EXPECT_THAT(ErrorOf([&] { store.get("never"); }), HasSubstr("DEADLINE_EXCEEDED"));
}

// A KV whose every call fails with `status`.
class FailingKv final : public RendezvousKv {
 public:
  explicit FailingKv(absl::Status status) : status_(std::move(status)) {}
  absl::Status Set(const std::string&, const std::string&) override { return status_; }
  absl::StatusOr<std::optional<std::string>> Get(const std::string&) override { return status_; }
  absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>&, absl::Duration) override {
    return status_;
  }

 private:
  absl::Status status_;
};

TEST(KvStoreTest, KvErrorsAreThrownAndTheFirstIsKept) {
  FailingKv kv(absl::CancelledError("KvSet: the assignment was cancelled"));
  KvStore store(kv, "p/", std::chrono::seconds(1));
  EXPECT_EQ(ErrorOf([&] { store.set("k", Bytes("v")); }),
            "rendezvous KV (prefix p/): CANCELLED: KvSet: the assignment was cancelled");
  EXPECT_THAT(ErrorOf([&] { store.check({"k"}); }), HasSubstr("CANCELLED"));
  EXPECT_EQ(store.first_error(), absl::CancelledError("KvSet: the assignment was cancelled"));
}

TEST(KvStoreTest, OperationsTheKvCannotDoAtomicallyFailClearly) {
  InMemoryKv kv;
  KvStore store(kv, "p/", std::chrono::seconds(1));
  EXPECT_EQ(ErrorOf([&] { store.add("n", 1); }),
            "KvStore::add needs an atomic read-modify-write, which the rendezvous KV does not offer "
            "(ProcessGroupGloo never calls it)");
  EXPECT_THAT(ErrorOf([&] { store.compareSet("n", Bytes("a"), Bytes("b")); }),
              HasSubstr("KvStore::compareSet needs an atomic compare-and-set"));
  EXPECT_THAT(ErrorOf([&] { store.deleteKey("n"); }), HasSubstr("KvStore::deleteKey needs deleting keys"));
  EXPECT_THAT(ErrorOf([&] { store.getNumKeys(); }), HasSubstr("KvStore::getNumKeys needs listing keys"));
  EXPECT_EQ(kv.size(), 0u);
}

}  // namespace
}  // namespace ecgbench::worker::train
