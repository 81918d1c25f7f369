// The one mapping between absl::Status and grpc::Status (their codes are the same numbers).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace ecgbench::common {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace ecgbench::common
