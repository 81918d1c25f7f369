// TcpProxy on its own: bytes go both ways through it; Cut() ends the open connection and refuses
// new ones; Heal() lets connections through again.
#include "tests/fault/tcp_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ecgbench::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// An echo server on 127.0.0.1:0, one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        connections_.emplace_back([c] {
          char buf[256];
          ssize_t n;
          while ((n = ::recv(c, buf, sizeof(buf), 0)) > 0) ::send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
          ::close(c);
        });
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = Loopback(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Sends `text` and returns what comes back ("" when the connection is closed).
std::string RoundTrip(int fd, const std::string& text) {
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return "";
  std::string got;
  char buf[256];
  while (got.size() < text.size()) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return "";
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(TcpProxyTest, ForwardsCutsAndHeals) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int before = Connect((*proxy)->port());
  EXPECT_EQ(RoundTrip(before, "ping"), "ping");

  (*proxy)->Cut();
  char byte;
  EXPECT_LE(::recv(before, &byte, 1, 0), 0);  // the open connection was closed
  ::close(before);
  const int during = Connect((*proxy)->port());  // accepted by the kernel, then closed by the proxy
  EXPECT_EQ(RoundTrip(during, "lost"), "");
  ::close(during);

  (*proxy)->Heal();
  const int after = Connect((*proxy)->port());
  EXPECT_EQ(RoundTrip(after, "pong"), "pong");
  ::close(after);
  EXPECT_EQ((*proxy)->accepted(), 3);
}

}  // namespace
}  // namespace ecgbench::testing
