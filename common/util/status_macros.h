// Early-return helpers for absl::Status / absl::StatusOr. Abseil 20220623 (Debian 12) ships neither
// RETURN_IF_ERROR nor ASSIGN_OR_RETURN, so the project defines them once, here.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ECGBENCH_STATUS_CONCAT_INNER(a, b) a##b
#define ECGBENCH_STATUS_CONCAT(a, b) ECGBENCH_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define ECGBENCH_RETURN_IF_ERROR(expr)                 \
  do {                                                 \
    const ::absl::Status ecgbench_status_ = (expr);    \
    if (!ecgbench_status_.ok()) return ecgbench_status_; \
  } while (false)

// `lhs` = value of the StatusOr `rexpr`, or returns its status from the enclosing function.
// lhs may declare a variable: ECGBENCH_ASSIGN_OR_RETURN(auto x, Foo());
#define ECGBENCH_ASSIGN_OR_RETURN(lhs, rexpr) \
  ECGBENCH_ASSIGN_OR_RETURN_IMPL(ECGBENCH_STATUS_CONCAT(ecgbench_statusor_, __LINE__), lhs, rexpr)

#define ECGBENCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()
