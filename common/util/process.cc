// fork/exec-based child processes.
#include "common/util/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace ecgbench::common {

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
    const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("Spawn: empty argv");
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& kv : extra_env) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq + 1);
    for (auto it = env.begin(); it != env.end();) {
      it = it->rfind(key, 0) == 0 ? env.erase(it) : it + 1;
    }
    env.push_back(kv);
  }
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::InternalError(absl::StrCat(log_path, ": cannot open log: ", std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::setpgid(0, 0);  // its own process group: a Ctrl-C at the terminal reaches only the parent
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  auto child = std::make_unique<ChildProcess>();
  child->pid_ = pid;
  return child;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || reaped_) return false;
  pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

absl::StatusOr<int> ChildProcess::Wait(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (!running()) return status_;
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("pid ", pid_, " still running after ", timeout_ms, " ms"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ChildProcess::Stop(int grace_ms) {
  Signal(SIGTERM);
  auto st = Wait(grace_ms);
  if (st.ok()) return *st;
  Signal(SIGKILL);
  auto st2 = Wait(5000);
  return st2.ok() ? *st2 : -1;
}

}  // namespace ecgbench::common
