// Tests of client/commands/exit_codes.h.
#include "client/commands/exit_codes.h"

#include <gtest/gtest.h>

namespace ecgbench::client {
namespace {

TEST(ExitCodesTest, FromExperimentState) {
  EXPECT_EQ(ExitCodeForState(v1::STATE_SUCCEEDED), 0);
  EXPECT_EQ(ExitCodeForState(v1::STATE_FAILED), 1);
  EXPECT_EQ(ExitCodeForState(v1::STATE_CANCELLED), 3);
  EXPECT_EQ(ExitCodeForState(v1::STATE_RUNNING), 1);
  EXPECT_EQ(ExitCodeForState(v1::STATE_CANCELLING), 1);
  EXPECT_EQ(ExitCodeForState(v1::STATE_UNSPECIFIED), 1);
}

TEST(ExitCodesTest, FromStatus) {
  EXPECT_EQ(ExitCodeForStatus(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeForStatus(absl::NotFoundError("x")), 4);
  EXPECT_EQ(ExitCodeForStatus(absl::UnavailableError("x")), 5);
  EXPECT_EQ(ExitCodeForStatus(absl::DeadlineExceededError("x")), 5);
  EXPECT_EQ(ExitCodeForStatus(absl::InvalidArgumentError("x")), 6);
  EXPECT_EQ(ExitCodeForStatus(absl::FailedPreconditionError("x")), 1);
  EXPECT_EQ(ExitCodeForStatus(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeForStatus(absl::PermissionDeniedError("x")), 1);
}

TEST(ExitCodesTest, DocumentedValues) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailed, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitCancelled, 3);
  EXPECT_EQ(kExitNotFound, 4);
  EXPECT_EQ(kExitUnavailable, 5);
  EXPECT_EQ(kExitInvalidArgument, 6);
  EXPECT_EQ(kExitInterrupted, 130);
}

}  // namespace
}  // namespace ecgbench::client
