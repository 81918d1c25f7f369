// TcpProxy: a TCP forwarder on 127.0.0.1 for the fault tests, put between a worker and the
// coordinator to cut the network between them. One thread accepts on 127.0.0.1:0 and forwards
// every connection to the target in both directions. Cut() closes every open connection and,
// until Heal(), closes new ones as soon as they are accepted (the client sees a reset, as with a
// broken link or a peer that refuses). Thread-safe: Cut/Heal/port from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ecgbench::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards to 127.0.0.1:`target_port`. Errors: socket errors.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Closes every forwarded connection and refuses new ones until Heal(). Returns once the proxy
  // thread has closed them.
  void Cut();
  void Heal();
  // Connections accepted so far (refused ones included).
  int64_t accepted() const;

 private:
  struct Pipe {
    int client = -1;
    int upstream = -1;
  };
  TcpProxy(int listen_fd, int port, int target_port, int wake_read, int wake_write);
  void Loop();
  void CloseAll();
  // Moves what `from` has to `to`; false when either side is closed or failed.
  static bool Forward(int from, int to);

  const int listen_fd_;
  const int port_;
  const int target_port_;
  const int wake_read_, wake_write_;  // self-pipe that wakes the loop

  mutable absl::Mutex mu_;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t cut_generation_ ABSL_GUARDED_BY(mu_) = 0;     // Cut() calls
  int64_t closed_generation_ ABSL_GUARDED_BY(mu_) = 0;  // Cut() calls the loop has carried out
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;

  std::vector<Pipe> pipes_;  // loop thread only
  std::thread thread_;
};

}  // namespace ecgbench::testing
