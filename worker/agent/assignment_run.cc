// AssignmentRun implementation: buffered reporting and the retrying rendezvous KV calls.
#include "worker/agent/assignment_run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "worker/agent/backoff.h"

namespace ecgbench::worker {
namespace {

spdlog::level::level_enum SpdlogLevel(v1::LogLevel level) {
  switch (level) {
    case v1::LOG_LEVEL_DEBUG:
      return spdlog::level::debug;
    case v1::LOG_LEVEL_WARNING:
      return spdlog::level::warn;
    case v1::LOG_LEVEL_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::info;
  }
}

v1::AssignmentRef MakeRef(const v1::Assignment& assignment) {
  v1::AssignmentRef ref;
  ref.set_attempt_id(assignment.attempt_id());
  ref.set_rank(assignment.rank());
  return ref;
}

absl::Status CancelledStatus(const char* what) {
  return absl::CancelledError(absl::StrCat(what, ": the assignment was cancelled"));
}

}  // namespace

AssignmentRun::AssignmentRun(v1::Assignment assignment, std::string work_dir,
                             AssignmentRunOptions options)
    : assignment_(std::move(assignment)),
      ref_(MakeRef(assignment_)),
      label_(absl::StrCat("task ", assignment_.task_id(), " rank ", assignment_.rank(), " attempt ",
                          assignment_.attempt_id())),
      work_dir_(std::move(work_dir)),
      options_(std::move(options)),
      start_monotonic_ms_(options_.clock->NowMonotonicMs()),
      reports_(options_.max_buffered_log_lines, options_.max_buffered_metric_points) {
  if (options_.metrics != nullptr) options_.metrics->TaskStarted(assignment_, options_.clock->NowUnixMs());
}

void AssignmentRun::Log(v1::LogLevel level, std::string_view message) {
  if (level == v1::LOG_LEVEL_UNSPECIFIED) level = v1::LOG_LEVEL_INFO;
  spdlog::log(SpdlogLevel(level), "[{} {} r{}] {}", assignment_.stage_kind(), assignment_.task_id(),
              assignment_.rank(), message);
  v1::LogLine line;
  line.set_time_unix_ms(options_.clock->NowUnixMs());
  line.set_level(level);
  line.set_message(std::string(message));
  // Wake the shipper once per full batch (not on every line while the coordinator is away).
  const size_t buffered = reports_.AddLog(std::move(line));
  if (options_.wake_shipper && options_.log_batch_lines > 0 &&
      buffered % options_.log_batch_lines == 0) {
    options_.wake_shipper();
  }
}

void AssignmentRun::ReportProgress(int64_t done, int64_t total, std::string_view unit,
                                   std::string_view message) {
  v1::Progress progress;
  progress.set_done(done);
  progress.set_total(total);
  progress.set_unit(std::string(unit));
  progress.set_message(std::string(message));
  // ETA from the average rate since the assignment started; unknown (-1) without a rate.
  const double elapsed_s = (options_.clock->NowMonotonicMs() - start_monotonic_ms_) / 1000.0;
  double eta = -1;
  if (done > 0 && total > 0 && done <= total) {
    eta = elapsed_s * static_cast<double>(total - done) / static_cast<double>(done);
  }
  progress.set_eta_seconds(eta);
  reports_.SetProgress(std::move(progress));
  if (options_.metrics != nullptr) {
    const double ratio = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : -1;
    options_.metrics->SetTaskProgress(assignment_, ratio, options_.clock->NowUnixMs());
  }
}

void AssignmentRun::ReportMetric(std::string_view name, double value, int64_t step) {
  v1::MetricPoint point;
  point.set_name(std::string(name));
  point.set_value(value);
  point.set_step(step);
  point.set_rank(assignment_.rank());
  point.set_time_unix_ms(options_.clock->NowUnixMs());
  if (options_.metrics != nullptr) {
    options_.metrics->TaskMetric(assignment_, name, value, step, point.time_unix_ms());
  }
  reports_.AddMetric(std::move(point));
}

const char* CancelReasonName(CancelReason reason) {
  switch (reason) {
    case CancelReason::kNone:
      return "none";
    case CancelReason::kCoordinator:
      return "cancelled by the coordinator";
    case CancelReason::kStale:
      return "stale attempt";
    case CancelReason::kShutdown:
      return "shutdown";
    case CancelReason::kLeaseLost:
      return "lease lost";
  }
  return "unknown";
}

bool AssignmentRun::Cancel(CancelReason reason) {
  int expected = static_cast<int>(CancelReason::kNone);
  // Under wait_mu_ so that SleepUnlessCancelled's condition is re-evaluated.
  absl::MutexLock lock(&wait_mu_);
  if (!cancel_reason_.compare_exchange_strong(expected, static_cast<int>(reason))) return false;
  cancelled_at_ms_.store(std::max<int64_t>(1, options_.clock->NowMonotonicMs()));
  return true;
}

bool AssignmentRun::SleepUnlessCancelled(absl::Duration d) {
  absl::MutexLock lock(&wait_mu_);
  auto is_cancelled = [this] { return cancelled(); };
  return wait_mu_.AwaitWithTimeout(absl::Condition(&is_cancelled), d);
}

absl::Status AssignmentRun::Retry(const char* what, absl::Duration timeout,
                                  const std::function<absl::Status()>& call) {
  const absl::Time deadline = absl::Now() + timeout;
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  while (true) {
    if (cancelled()) return CancelledStatus(what);
    absl::Status status = call();
    if (!IsTransient(status)) return status;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": coordinator unreachable for ", absl::FormatDuration(timeout), ": ",
                       status.message()));
    }
    if (SleepUnlessCancelled(std::min(left, backoff.Next()))) return CancelledStatus(what);
  }
}

absl::Status AssignmentRun::KvSet(const std::string& key, const std::string& value) {
  return Retry("KvSet", options_.kv_call_timeout, [&] {
    return options_.client->KvSet(assignment_.attempt_id(), key, value);
  });
}

absl::StatusOr<std::optional<std::string>> AssignmentRun::KvGet(const std::string& key) {
  std::optional<std::string> value;
  absl::Status status = Retry("KvGet", options_.kv_call_timeout, [&] {
    auto result = options_.client->KvGet(assignment_.attempt_id(), key);
    if (!result.ok()) return result.status();
    value = std::move(*result);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<std::vector<std::string>> AssignmentRun::KvWait(const std::vector<std::string>& keys,
                                                               absl::Duration timeout) {
  // Waits in slices of at most a second so that a cancel is seen promptly; a slice that ends
  // without all keys (DEADLINE_EXCEEDED) or with the coordinator unreachable is simply repeated.
  constexpr absl::Duration kSlice = absl::Seconds(1);
  const absl::Time deadline = absl::Now() + timeout;
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  absl::Status last = absl::DeadlineExceededError("no attempt made");
  while (true) {
    if (cancelled()) return CancelledStatus("KvWait");
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    const int slice_ms =
        static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(std::min(left, kSlice))));
    auto values = options_.client->KvWait(assignment_.attempt_id(), keys, slice_ms);
    if (values.ok()) return values;
    last = values.status();
    if (last.code() == absl::StatusCode::kDeadlineExceeded) continue;
    if (!IsTransient(last)) return last;
    if (SleepUnlessCancelled(std::min(left, backoff.Next()))) return CancelledStatus("KvWait");
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "KvWait: keys [", absl::StrJoin(keys, ", "), "] not all set within ",
      absl::FormatDuration(timeout), " (last: ", last.message(), ")"));
}

}  // namespace ecgbench::worker
