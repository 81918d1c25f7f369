// Composition root of the coordinator.
#include "server/coordinator.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/security/path_policy.h"
#include "common/util/clock.h"
#include "common/util/files.h"
#include "server/api/authorizer.h"
#include "server/api/coordinator_service.h"
#include "server/api/metrics_interceptor.h"
#include "server/api/worker_service.h"
#include "server/metrics/coordinator_metrics.h"
#include "server/store/store.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Start(const CoordinatorOptions& options) {
  // absl's debug-only lock-order checking is on in Debian's abseil build: it costs a global graph
  // lookup on every Mutex lock, which showed in profiles of the coordinator under load
  // (bench/load). Unit tests of the Manager, which do not come through here, keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::Status policy = CheckSecurityPolicy(options.listen, options.security);
  if (!policy.ok()) return policy;
  policy = CheckPathConfinementPolicy(options.listen, options.security);
  if (!policy.ok()) return policy;
  ManagerOptions manager_options = options.manager;
  auto path_policy = common::PathPolicy::Create(options.security.data_roots);
  if (!path_policy.ok()) return absl::InvalidArgumentError(absl::StrCat("--data-root: ", path_policy.status().message()));
  manager_options.path_policy = *std::move(path_policy);
  auto credentials = BuildServerCredentials(options.security);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<Coordinator> c(new Coordinator());
  c->options_ = options;
  if (options.security.auth_tokens_file.empty()) {
    c->authorizer_ = Authorizer::Open();
  } else {
    auto authorizer = Authorizer::FromFile(options.security.auth_tokens_file);
    if (!authorizer.ok()) return authorizer.status();
    c->authorizer_ = std::move(*authorizer);
  }
  if (options.db_path != ":memory:") {
    auto dir = std::filesystem::path(options.db_path).parent_path();
    if (!dir.empty()) {
      absl::Status st = common::MakeDirs(dir.string());
      if (!st.ok()) return st;
    }
  }
  auto store = Store::Open(options.db_path);
  if (!store.ok()) return store.status();
  c->store_ = std::move(*store);

  // The metrics read the Manager at scrape time; it is created right after and outlives the exposer.
  c->metrics_ = std::make_unique<CoordinatorMetrics>([raw = c.get()]() {
    return raw->manager_ ? raw->manager_->Gauges() : ManagerGauges{};
  });
  c->manager_ = std::make_unique<Manager>(manager_options, c->store_.get(), common::RealClock::Get(), c->metrics_.get());
  absl::Status st = c->manager_->Recover();
  if (!st.ok()) return st;
  if (!options.metrics_listen.empty()) {
    auto port = c->metrics_->Serve(options.metrics_listen);
    if (!port.ok()) return port.status();
    c->metrics_port_ = *port;
  }

  c->client_service_ = std::make_unique<CoordinatorService>(c->manager_.get(), c->authorizer_.get());
  c->worker_service_ = std::make_unique<WorkerService>(c->manager_.get(), c->authorizer_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &c->port_);
  builder.RegisterService(c->client_service_.get());
  builder.RegisterService(c->worker_service_.get());
  builder.SetMaxReceiveMessageSize(16 << 20);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(c->metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  c->server_ = builder.BuildAndStart();
  if (!c->server_ || c->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("--listen ", options.listen, ": cannot listen (address in use or invalid)"));
  }
  auto* health = c->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus("ecgbench.v1.Coordinator", true);
  health->SetServingStatus("ecgbench.v1.WorkerService", true);
  c->ticker_ = std::thread([raw = c.get()] { raw->TickLoop(); });
  spdlog::info("coordinator serving gRPC on port {} ({}, {}), /metrics on port {}, state in {}", c->port_,
               options.security.tls_cert_file.empty() ? "plaintext"
               : options.security.tls_client_ca_file.empty() ? "TLS" : "mutual TLS",
               c->authorizer_->enabled() ? "bearer tokens required" : "no authentication", c->metrics_port_,
               options.db_path);
  if (manager_options.path_policy.confined()) {
    spdlog::info("paths in specs are confined to {}", manager_options.path_policy.RootsText());
  } else {
    spdlog::warn("paths in specs are not confined ({}): a spec may name any file the workers can read",
                 options.security.allow_any_path ? "--allow-any-path" : "no --data-root; --listen is loopback");
  }
  return c;
}

absl::StatusOr<size_t> Coordinator::ReloadTokens() { return authorizer_->Reload(); }

void Coordinator::TickLoop() {
  while (!stopping_.load()) {
    manager_->Tick();
    std::unique_lock<std::mutex> lock(tick_mu_);
    tick_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [this] { return stopping_.load(); });
  }
}

void Coordinator::Shutdown(int grace_ms) {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(tick_mu_);
    tick_cv_.notify_all();
  }
  if (manager_) manager_->StopWaiters();
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  }
  if (ticker_.joinable()) ticker_.join();
}

void Coordinator::Wait() {
  if (server_) server_->Wait();
}

Coordinator::~Coordinator() {
  Shutdown(0);
  server_.reset();
}

}  // namespace ecgbench::server
