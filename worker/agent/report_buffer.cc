// ReportBuffer implementation.
#include "worker/agent/report_buffer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ecgbench::worker {
namespace {

// Drops the oldest entries beyond `cap`, adding their number to `dropped`.
template <typename T>
void Trim(std::deque<T>& entries, size_t cap, int64_t& dropped) {
  while (entries.size() > cap) {
    entries.pop_front();
    ++dropped;
  }
}

}  // namespace

ReportBuffer::ReportBuffer(size_t max_log_lines, size_t max_metric_points)
    : max_log_lines_(std::max<size_t>(1, max_log_lines)),
      max_metric_points_(std::max<size_t>(1, max_metric_points)) {}

size_t ReportBuffer::AddLog(v1::LogLine line) {
  absl::MutexLock lock(&mu_);
  logs_.push_back(std::move(line));
  Trim(logs_, max_log_lines_, dropped_logs_);
  return logs_.size();
}

void ReportBuffer::SetProgress(v1::Progress progress) {
  absl::MutexLock lock(&mu_);
  progress_ = std::move(progress);
}

void ReportBuffer::AddMetric(v1::MetricPoint point) {
  absl::MutexLock lock(&mu_);
  metrics_.push_back(std::move(point));
  Trim(metrics_, max_metric_points_, dropped_metrics_);
}

ReportBuffer::Batch ReportBuffer::Take(size_t max_log_lines, size_t max_metric_points,
                                       int64_t now_unix_ms) {
  Batch batch;
  absl::MutexLock lock(&mu_);
  if (dropped_logs_ > 0 || dropped_metrics_ > 0) {
    v1::LogLine warning;
    warning.set_time_unix_ms(now_unix_ms);
    warning.set_level(v1::LOG_LEVEL_WARNING);
    warning.set_message(absl::StrCat("worker: dropped ", dropped_logs_, " log lines and ",
                                     dropped_metrics_,
                                     " metric points that could not be delivered in time"));
    batch.logs.push_back(std::move(warning));
    dropped_logs_ = 0;
    dropped_metrics_ = 0;
  }
  const size_t n_logs = std::min(max_log_lines, logs_.size());
  batch.logs.reserve(batch.logs.size() + n_logs);
  for (size_t i = 0; i < n_logs; ++i) {
    batch.logs.push_back(std::move(logs_.front()));
    logs_.pop_front();
  }
  const size_t n_metrics = std::min(max_metric_points, metrics_.size());
  batch.metrics.reserve(n_metrics);
  for (size_t i = 0; i < n_metrics; ++i) {
    batch.metrics.push_back(std::move(metrics_.front()));
    metrics_.pop_front();
  }
  batch.progress = std::move(progress_);
  progress_.reset();
  return batch;
}

void ReportBuffer::Restore(Batch batch) {
  absl::MutexLock lock(&mu_);
  for (auto it = batch.logs.rbegin(); it != batch.logs.rend(); ++it) {
    logs_.push_front(std::move(*it));
  }
  Trim(logs_, max_log_lines_, dropped_logs_);
  for (auto it = batch.metrics.rbegin(); it != batch.metrics.rend(); ++it) {
    metrics_.push_front(std::move(*it));
  }
  Trim(metrics_, max_metric_points_, dropped_metrics_);
  if (batch.progress && !progress_) progress_ = std::move(batch.progress);
}

bool ReportBuffer::empty() const {
  absl::MutexLock lock(&mu_);
  return logs_.empty() && !progress_ && metrics_.empty() && dropped_logs_ == 0 &&
         dropped_metrics_ == 0;
}

void ReportBuffer::Clear() {
  absl::MutexLock lock(&mu_);
  logs_.clear();
  metrics_.clear();
  progress_.reset();
  dropped_logs_ = 0;
  dropped_metrics_ = 0;
}

}  // namespace ecgbench::worker
