// ReportBuffer: what one assignment has reported (log lines, the latest progress, metric points)
// and not yet delivered to the coordinator. Runners append without blocking; the agent takes
// batches to ship and puts back what failed to send, so nothing is lost while the coordinator is
// briefly unreachable. Bounded: past the caps the oldest entries are dropped and counted, and the
// next batch starts with a warning line saying how many.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::worker {

class ReportBuffer {
 public:
  ReportBuffer(size_t max_log_lines, size_t max_metric_points);

  // Returns the number of buffered log lines after the append.
  size_t AddLog(v1::LogLine line);
  void SetProgress(v1::Progress progress);
  void AddMetric(v1::MetricPoint point);

  struct Batch {
    std::vector<v1::LogLine> logs;
    std::optional<v1::Progress> progress;
    std::vector<v1::MetricPoint> metrics;
    bool empty() const { return logs.empty() && !progress && metrics.empty(); }
  };
  // Removes and returns up to the given numbers of the oldest entries (and the pending progress).
  // `now_unix_ms` stamps the warning line about dropped entries.
  Batch Take(size_t max_log_lines, size_t max_metric_points, int64_t now_unix_ms);
  // Puts back what could not be delivered, in front of anything added since. A progress newer than
  // the one put back wins.
  void Restore(Batch batch);

  bool empty() const;
  // Discards everything (the coordinator no longer wants reports for this assignment).
  void Clear();

 private:
  const size_t max_log_lines_;
  const size_t max_metric_points_;

  mutable absl::Mutex mu_;
  std::deque<v1::LogLine> logs_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::Progress> progress_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::MetricPoint> metrics_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_logs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_metrics_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ecgbench::worker
