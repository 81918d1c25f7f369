// Measurements of the coordinator load generator (bench/load): latency samples with percentiles,
// RPC errors by method and gRPC code, event timestamps for a steady-window rate, and readings of
// the coordinator process from /proc.
//
// Thread-safe: every recorder may be fed from any thread (gRPC callback threads included).
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ecgbench::bench {

struct LatencySummary {
  size_t count = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

// Latency samples in microseconds; Summarize sorts a copy (nearest-rank percentiles).
class LatencyRecorder {
 public:
  void Add(int64_t micros);
  LatencySummary Summarize() const;

 private:
  mutable std::mutex mu_;
  std::vector<int64_t> samples_;
};

// Failed calls by "<method> <CODE>", e.g. "CompleteTask FAILED_PRECONDITION".
class ErrorCounter {
 public:
  void Add(const char* method, const grpc::Status& status);
  int64_t Total() const { return total_.load(); }
  std::map<std::string, int64_t> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;
  std::atomic<int64_t> total_{0};
};

// Times (ms since the generator's epoch) at which events happened, e.g. task acquisitions.
class EventTimes {
 public:
  void Add(int64_t at_ms);
  // Events per second between the moments `lo` and `hi` (fractions of the total, e.g. 0.05 and
  // 0.95) of the events were reached: the rate with the ramp-up and the tail cut off. 0 with fewer
  // than 20 events or a zero-length window.
  double SteadyRate(double lo, double hi) const;
  // Events per second between the first and the last event.
  double OverallRate() const;
  size_t Count() const;

 private:
  std::vector<int64_t> Sorted() const;
  mutable std::mutex mu_;
  std::vector<int64_t> times_;
};

// One reading of /proc/<pid>: CPU seconds used so far (utime + stime), resident set now and its
// high-water mark. ok is false when the process cannot be read.
struct ProcSample {
  bool ok = false;
  double cpu_seconds = 0;
  int64_t rss_bytes = 0;
  int64_t rss_peak_bytes = 0;
  int threads = 0;
};
ProcSample ReadProc(int pid);

// Size of a file in bytes, 0 when it does not exist.
int64_t FileBytes(const std::string& path);

}  // namespace ecgbench::bench
