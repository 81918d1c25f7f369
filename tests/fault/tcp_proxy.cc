// TcpProxy implementation: one poll() loop over the listening socket, a self-pipe and both ends of
// every forwarded connection. Writes are blocking (loopback, gRPC peers that always read).
#include "tests/fault/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ecgbench::testing {
namespace {

absl::Status Errno(const char* what) { return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno))); }

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void CloseSocket(int fd) {
  if (fd < 0) return;
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0) {
    absl::Status st = Errno("bind/listen 127.0.0.1:0");
    ::close(fd);
    return st;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    absl::Status st = Errno("pipe2");
    ::close(fd);
    return st;
  }
  return std::unique_ptr<TcpProxy>(new TcpProxy(fd, ntohs(addr.sin_port), target_port, wake[0], wake[1]));
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port, int wake_read, int wake_write)
    : listen_fd_(listen_fd), port_(port), target_port_(target_port), wake_read_(wake_read), wake_write_(wake_write) {
  thread_ = std::thread(&TcpProxy::Loop, this);
}

TcpProxy::~TcpProxy() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  const char byte = 's';
  (void)!::write(wake_write_, &byte, 1);
  thread_.join();
  CloseAll();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void TcpProxy::Cut() {
  int64_t generation;
  {
    absl::MutexLock lock(&mu_);
    cut_ = true;
    generation = ++cut_generation_;
  }
  const char byte = 'c';
  (void)!::write(wake_write_, &byte, 1);
  absl::MutexLock lock(&mu_);
  auto done = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_generation_ >= generation; };
  mu_.Await(absl::Condition(&done));
}

void TcpProxy::Heal() {
  absl::MutexLock lock(&mu_);
  cut_ = false;
}

int64_t TcpProxy::accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

void TcpProxy::CloseAll() {
  for (Pipe& p : pipes_) {
    CloseSocket(p.client);
    CloseSocket(p.upstream);
  }
  pipes_.clear();
}

bool TcpProxy::Forward(int from, int to) {
  std::array<char, 64 * 1024> buf;
  const ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t sent = 0; sent < n;) {
    const ssize_t m = ::send(to, buf.data() + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
    if (m < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += m;
  }
  return true;
}

void TcpProxy::Loop() {
  std::vector<pollfd> fds;
  while (true) {
    bool cut;
    int64_t generation;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      cut = cut_;
      generation = cut_generation_;
    }
    if (cut && !pipes_.empty()) CloseAll();
    {
      absl::MutexLock lock(&mu_);
      closed_generation_ = std::max(closed_generation_, generation);
    }
    fds.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Pipe& p : pipes_) {
      fds.push_back({p.client, POLLIN, 0});
      fds.push_back({p.upstream, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
    if (fds[0].revents != 0) {
      std::array<char, 64> drain;
      while (::read(wake_read_, drain.data(), drain.size()) > 0) {
      }
    }
    // Forward what arrived; a connection with a closed or failed side is closed on both sides.
    std::vector<Pipe> alive;
    for (size_t i = 0; i < pipes_.size(); ++i) {
      const Pipe& p = pipes_[i];
      const short client_events = fds[2 + 2 * i].revents, upstream_events = fds[3 + 2 * i].revents;
      bool ok = true;
      if (client_events != 0) ok = Forward(p.client, p.upstream);
      if (ok && upstream_events != 0) ok = Forward(p.upstream, p.client);
      if (ok) {
        alive.push_back(p);
      } else {
        CloseSocket(p.client);
        CloseSocket(p.upstream);
      }
    }
    pipes_.swap(alive);
    if (fds[1].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      {
        absl::MutexLock lock(&mu_);
        ++accepted_;
        cut = cut_;
      }
      if (cut) {
        CloseSocket(client);
        continue;
      }
      const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in target = Loopback(target_port_);
      if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
        CloseSocket(upstream);
        CloseSocket(client);
        continue;
      }
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      pipes_.push_back({client, upstream});
    }
  }
}

}  // namespace ecgbench::testing
