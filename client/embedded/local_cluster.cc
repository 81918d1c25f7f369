// Child-process management for the embedded mode.
#include "client/embedded/local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/rpc/channel.h"
#include "common/security/crypto.h"
#include "common/security/token_file.h"
#include "common/util/clock.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"

namespace ecgbench::client {

namespace {

constexpr int kLogTailLines = 20;
constexpr int kPollMs = 20;

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

bool IsExecutable(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::string TailSection(const std::string& log) {
  const std::string tail = LogTail(log, kLogTailLines);
  if (tail.empty()) return absl::StrCat(" (", log, " is empty)");
  return absl::StrCat("; last lines of ", log, ":\n", tail);
}

void AppendBanner(const std::string& log) {
  std::ofstream f(log, std::ios::app);
  f << "==== ecgbench run, " << common::RealClock::Get()->NowUnixMs() << " ms since epoch ====\n";
}

// "--data-root R" for each root, after the child's other flags.
void AppendDataRoots(const std::vector<std::string>& roots, std::vector<std::string>* args) {
  for (const std::string& root : roots) {
    args->push_back("--data-root");
    args->push_back(root);
  }
}

}  // namespace

absl::StatusOr<std::string> FindBinary(const std::string& name, const std::string& dir) {
  if (!dir.empty() && IsExecutable(dir + "/" + name)) return dir + "/" + name;
  const char* path = std::getenv("PATH");
  if (path != nullptr) {
    for (absl::string_view entry : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      const std::string candidate = absl::StrCat(entry, "/", name);
      if (IsExecutable(candidate)) return candidate;
    }
  }
  return absl::NotFoundError(absl::StrCat("cannot find ", name, ": not in ", dir.empty() ? "." : dir,
                                          " (next to ecgbench) nor on PATH; build it (ninja ", name,
                                          ") or install it next to ecgbench"));
}

std::string LogTail(const std::string& path, int max_lines) {
  std::ifstream f(path);
  if (!f) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(f, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) absl::StrAppend(&out, "  ", l, "\n");
  return out;
}

absl::StatusOr<int> ParsePortFile(const std::string& text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  const size_t colon = s.rfind(':');
  if (colon != absl::string_view::npos) s = s.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(s, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("expected a port number, got \"", text, "\""));
  }
  return port;
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(const LocalClusterOptions& options,
                                                                  const std::function<bool()>& interrupted,
                                                                  std::ostream* warn) {
  std::unique_ptr<LocalCluster> cluster(new LocalCluster());
  cluster->options_ = options;
  cluster->warn_ = warn;
  std::error_code ec;
  cluster->dir_ = std::filesystem::absolute(options.state_dir, ec).lexically_normal().string();
  if (ec) cluster->dir_ = options.state_dir;
  while (cluster->dir_.size() > 1 && cluster->dir_.back() == '/') cluster->dir_.pop_back();
  const std::string& dir = cluster->dir_;
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir + "/logs"));

  const std::string lock_path = dir + "/run.lock";
  cluster->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (cluster->lock_fd_ < 0) return absl::InternalError(absl::StrCat(lock_path, ": cannot open"));
  if (::flock(cluster->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is in use by another `ecgbench run`; wait for it or pass --state-dir with another directory"));
  }

  const std::string bin_dir = options.bin_dir.empty() ? common::ExecutableDir() : options.bin_dir;
  ECGBENCH_ASSIGN_OR_RETURN(std::string coordinator_bin, FindBinary(kCoordinatorBinary, bin_dir));
  ECGBENCH_ASSIGN_OR_RETURN(std::string worker_bin, FindBinary(kWorkerBinary, bin_dir));
  ECGBENCH_RETURN_IF_ERROR(cluster->WriteTokens());
  ECGBENCH_RETURN_IF_ERROR(cluster->StartCoordinator(coordinator_bin, interrupted));
  ECGBENCH_RETURN_IF_ERROR(cluster->StartWorkers(worker_bin));
  return cluster;
}

absl::Status LocalCluster::WriteTokens() {
  const std::string auth = dir_ + "/auth";
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(auth));
  ::chmod(auth.c_str(), 0700);
  ECGBENCH_ASSIGN_OR_RETURN(std::string admin, common::NewRandomToken());
  ECGBENCH_ASSIGN_OR_RETURN(std::string worker, common::NewRandomToken());
  ECGBENCH_RETURN_IF_ERROR(common::WritePrivateFile(
      auth + "/tokens", absl::StrCat("# written by `ecgbench run`; new tokens every run\n",
                                     common::TokenFileLine("local-admin", common::Role::kAdmin, admin), "\n",
                                     common::TokenFileLine("local-worker", common::Role::kWorker, worker), "\n")));
  ECGBENCH_RETURN_IF_ERROR(common::WritePrivateFile(auth + "/admin.token", admin + "\n"));
  ECGBENCH_RETURN_IF_ERROR(common::WritePrivateFile(auth + "/worker.token", worker + "\n"));
  client_security_.token = admin;
  return absl::OkStatus();
}

absl::Status LocalCluster::StartCoordinator(const std::string& binary, const std::function<bool()>& interrupted) {
  const std::string port_file = dir_ + "/coordinator.port";
  const std::string log = dir_ + "/logs/coordinator.log";
  ::unlink(port_file.c_str());  // a stale file from an earlier run must not be mistaken for ours
  ::unlink((dir_ + "/coordinator.metrics.port").c_str());
  AppendBanner(log);
  std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0", "--port-file", port_file, "--db",
                                    dir_ + "/coordinator.db", "--metrics-listen", "127.0.0.1:0",
                                    "--metrics-port-file", dir_ + "/coordinator.metrics.port", "--auth-tokens",
                                    dir_ + "/auth/tokens"};
  AppendDataRoots(options_.data_roots, &args);
  ECGBENCH_ASSIGN_OR_RETURN(coordinator_, common::ChildProcess::Spawn(args, {}, log));
  common::Clock* clock = common::RealClock::Get();
  const int64_t deadline = clock->NowMonotonicMs() + options_.startup_timeout_ms;
  int port = 0;
  while (port == 0) {
    if (interrupted()) {
      Stop();
      return absl::CancelledError("interrupted while starting the coordinator");
    }
    if (!coordinator_->running()) {
      auto status = coordinator_->Wait(0);
      const std::string how = status.ok() ? DescribeWaitStatus(*status) : std::string(status.status().message());
      return absl::InternalError(
          absl::StrCat(kCoordinatorBinary, " exited (", how, ") before it was listening", TailSection(log)));
    }
    if (auto text = common::ReadFile(port_file); text.ok()) {
      if (auto parsed = ParsePortFile(*text); parsed.ok()) port = *parsed;
    }
    if (port == 0) {
      if (clock->NowMonotonicMs() >= deadline) {
        Stop();
        return absl::DeadlineExceededError(absl::StrCat(kCoordinatorBinary, " did not write ", port_file, " within ",
                                                        options_.startup_timeout_ms / 1000.0, " s", TailSection(log)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
  }
  address_ = absl::StrCat("127.0.0.1:", port);
  auto channel = common::MakeChannel(common::ChannelOptions{address_, client_security_});
  const int64_t left = std::max<int64_t>(1000, deadline - clock->NowMonotonicMs());
  if (!common::WaitForConnected(channel, std::chrono::milliseconds(left))) {
    Stop();
    return absl::DeadlineExceededError(
        absl::StrCat(kCoordinatorBinary, " wrote port ", port, " but does not accept connections", TailSection(log)));
  }
  return absl::OkStatus();
}

absl::Status LocalCluster::StartWorkers(const std::string& binary) {
  for (int i = 1; i <= options_.workers; ++i) {
    const std::string name = absl::StrCat("local-", i);
    const std::string metrics_port_file = absl::StrCat(dir_, "/worker-", i, ".metrics.port");
    const std::string log = absl::StrCat(dir_, "/logs/worker-", i, ".log");
    ::unlink(metrics_port_file.c_str());
    AppendBanner(log);
    std::vector<std::string> args = {binary, "--coordinator", address_, "--name", name, "--cpus",
                                      absl::StrCat(options_.cpus_per_worker), "--metrics-listen", "127.0.0.1:0",
                                      "--metrics-port-file", metrics_port_file, "--token-file",
                                      dir_ + "/auth/worker.token"};
    AppendDataRoots(options_.data_roots, &args);
    auto child = common::ChildProcess::Spawn(args, {}, log);
    if (!child.ok()) {
      Stop();
      return child.status();
    }
    workers_.push_back(std::move(*child));
    worker_reported_.push_back(false);
  }
  return absl::OkStatus();
}

absl::Status LocalCluster::Health() {
  if (coordinator_ == nullptr) return absl::FailedPreconditionError("the local cluster is stopped");
  if (!coordinator_->running()) {
    auto status = coordinator_->Wait(0);
    const std::string how = status.ok() ? DescribeWaitStatus(*status) : std::string(status.status().message());
    return absl::UnavailableError(absl::StrCat(kCoordinatorBinary, " exited (", how, ")",
                                               TailSection(dir_ + "/logs/coordinator.log")));
  }
  int alive = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->running()) {
      ++alive;
      continue;
    }
    if (!worker_reported_[i]) {
      worker_reported_[i] = true;
      auto status = workers_[i]->Wait(0);
      const std::string log = absl::StrCat(dir_, "/logs/worker-", i + 1, ".log");
      if (warn_ != nullptr) {
        *warn_ << "ecgbench: warning: worker local-" << i + 1 << " exited ("
               << (status.ok() ? DescribeWaitStatus(*status) : "unknown status") << ")" << TailSection(log) << std::flush;
      }
    }
  }
  if (alive == 0 && !workers_.empty()) {
    return absl::UnavailableError(absl::StrCat("all ", workers_.size(), " local workers exited; see ", dir_,
                                               "/logs/worker-*.log"));
  }
  return absl::OkStatus();
}

void LocalCluster::Stop() {
  if (workers_.empty() && coordinator_ == nullptr && lock_fd_ < 0) return;
  common::Clock* clock = common::RealClock::Get();
  const int64_t start = clock->NowMonotonicMs();
  for (auto& w : workers_) w->Signal(SIGTERM);
  const int64_t deadline = start + options_.stop_grace_ms;
  for (auto& w : workers_) {
    const int64_t left = std::max<int64_t>(0, deadline - clock->NowMonotonicMs());
    if (!w->Wait(static_cast<int>(left)).ok()) w->Stop(0);
  }
  spdlog::debug("local workers stopped after {} ms", clock->NowMonotonicMs() - start);
  workers_.clear();
  worker_reported_.clear();
  if (coordinator_ != nullptr) {
    coordinator_->Stop(options_.stop_grace_ms);
    coordinator_.reset();
    spdlog::debug("local coordinator stopped after {} ms", clock->NowMonotonicMs() - start);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

LocalCluster::~LocalCluster() { Stop(); }

}  // namespace ecgbench::client
