// The name of a gRPC status code, for metric labels and reports.
#pragma once

#include <grpcpp/support/status.h>

namespace ecgbench::common {

// "OK", "NOT_FOUND", ... as in the gRPC documentation ("UNKNOWN" for a number outside the enum).
// A static string: no allocation (metric labels on every call).
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace ecgbench::common
