// Latency percentiles, error counts, steady-window rates and /proc readings for bench/load.
#include "bench/load/load_stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/rpc/grpc_code_name.h"

namespace ecgbench::bench {

void LatencyRecorder::Add(int64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  samples_.push_back(micros);
}

LatencySummary LatencyRecorder::Summarize() const {
  std::vector<int64_t> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = samples_;
  }
  LatencySummary out;
  out.count = s.size();
  if (s.empty()) return out;
  std::sort(s.begin(), s.end());
  auto rank = [&](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(s.size())));
    return static_cast<double>(s[std::min(s.size() - 1, i == 0 ? 0 : i - 1)]) / 1000.0;
  };
  out.p50_ms = rank(0.50);
  out.p95_ms = rank(0.95);
  out.p99_ms = rank(0.99);
  out.max_ms = static_cast<double>(s.back()) / 1000.0;
  double sum = 0;
  for (int64_t v : s) sum += static_cast<double>(v);
  out.mean_ms = sum / static_cast<double>(s.size()) / 1000.0;
  return out;
}

void ErrorCounter::Add(const char* method, const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  counts_[std::string(method) + " " + common::GrpcCodeName(status.error_code())]++;
  total_++;
}

std::map<std::string, int64_t> ErrorCounter::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void EventTimes::Add(int64_t at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  times_.push_back(at_ms);
}

size_t EventTimes::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return times_.size();
}

std::vector<int64_t> EventTimes::Sorted() const {
  std::vector<int64_t> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = times_;
  }
  std::sort(t.begin(), t.end());
  return t;
}

double EventTimes::SteadyRate(double lo, double hi) const {
  const std::vector<int64_t> t = Sorted();
  if (t.size() < 20) return 0;
  const size_t a = static_cast<size_t>(lo * static_cast<double>(t.size() - 1));
  const size_t b = static_cast<size_t>(hi * static_cast<double>(t.size() - 1));
  if (b <= a || t[b] <= t[a]) return 0;
  return static_cast<double>(b - a) * 1000.0 / static_cast<double>(t[b] - t[a]);
}

double EventTimes::OverallRate() const {
  const std::vector<int64_t> t = Sorted();
  if (t.size() < 2 || t.back() <= t.front()) return 0;
  return static_cast<double>(t.size() - 1) * 1000.0 / static_cast<double>(t.back() - t.front());
}

ProcSample ReadProc(int pid) {
  ProcSample out;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return out;
  // The command name is in parentheses and may hold spaces: fields count from the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;) f.push_back(x);
  // f[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
  if (f.size() < 18) return out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.threads = std::stoi(f[17]);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    auto kb = [&](const char* key) -> int64_t {
      std::istringstream in(line.substr(std::string(key).size()));
      int64_t v = 0;
      in >> v;
      return v * 1024;
    };
    if (line.rfind("VmRSS:", 0) == 0) out.rss_bytes = kb("VmRSS:");
    if (line.rfind("VmHWM:", 0) == 0) out.rss_peak_bytes = kb("VmHWM:");
  }
  out.ok = true;
  return out;
}

int64_t FileBytes(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : 0;
}


}  // namespace ecgbench::bench
