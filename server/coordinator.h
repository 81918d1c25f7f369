// Coordinator: the composition root of ecgbench-coordinator. Builds, in dependency order, the
// SQLite store, the Manager (recovered from the store), the Prometheus exposition, and the gRPC
// server (client API, worker API, health, reflection), plus the ticker thread that expires leases
// and schedules. Destroying it shuts everything down in reverse order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "server/api/server_security.h"
#include "server/experiments/manager.h"

namespace ecgbench::server {

class Store;
class CoordinatorMetrics;
class CoordinatorService;
class WorkerService;
class MetricsInterceptorFactory;
class Authorizer;

struct CoordinatorOptions {
  std::string listen = "0.0.0.0:50051";          // gRPC; port 0 picks a free one
  std::string metrics_listen = "0.0.0.0:9100";   // /metrics; empty disables
  std::string db_path = "./.ecgbench/coordinator.db";
  int tick_ms = 200;
  ManagerOptions manager;
  SecurityOptions security;  // TLS, bearer tokens and data roots; see docs/security.md
};

class Coordinator {
 public:
  // FAILED_PRECONDITION when the security policy refuses `options` (no tokens, or no data roots, on
  // a non-loopback address), INVALID_ARGUMENT / NOT_FOUND for bad TLS or token files or data roots,
  // UNAVAILABLE when it cannot listen. The data roots become options.manager.path_policy.
  static absl::StatusOr<std::unique_ptr<Coordinator>> Start(const CoordinatorOptions& options);
  ~Coordinator();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // Stops serving: in-flight calls get `grace_ms` to finish, streams are cancelled.
  void Shutdown(int grace_ms);
  void Wait();
  // Re-reads the --auth-tokens file (SIGHUP); on error the old tokens stay. Returns the token count.
  absl::StatusOr<size_t> ReloadTokens();

 private:
  Coordinator() = default;
  void TickLoop();

  CoordinatorOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CoordinatorMetrics> metrics_;
  std::unique_ptr<Manager> manager_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<CoordinatorService> client_service_;
  std::unique_ptr<WorkerService> worker_service_;
  std::unique_ptr<grpc::Server> server_;
  std::thread ticker_;
  std::atomic<bool> stopping_{false};
  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  int port_ = 0;
  int metrics_port_ = 0;
};

}  // namespace ecgbench::server
