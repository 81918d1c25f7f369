// ecgbench-coordinator: the coordinator daemon. Flags, logging and signals (SIGHUP reloads the
// token file); everything else is in Coordinator (server/coordinator.h) and, for the one-shot
// --generate-certs and --hash-token, server/admin_commands.h.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "common/util/files.h"
#include "common/util/logging.h"
#include "server/admin_commands.h"
#include "server/coordinator.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  ecgbench::server::CoordinatorOptions opts;
  std::string port_file, metrics_port_file, log_level = "info", generate_certs;
  std::vector<std::string> cert_hosts;
  bool hash_token = false;
  auto& sec = opts.security;
  CLI::App app{"ecgbench-coordinator: schedules ECG-Bench experiments onto workers"};
  app.add_option("--listen", opts.listen, "gRPC address host:port (port 0: pick a free one)")->capture_default_str();
  app.add_option("--metrics-listen", opts.metrics_listen, "Prometheus /metrics address; empty disables")
      ->capture_default_str();
  app.add_option("--db", opts.db_path, "SQLite database file (WAL mode)")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound gRPC port to this file");
  app.add_option("--metrics-port-file", metrics_port_file, "write the bound /metrics port to this file");
  app.add_option("--lease-ms", opts.manager.lease_ms, "a worker silent this long loses its tasks")
      ->capture_default_str()->check(CLI::Range(500, 3600000));
  app.add_option("--recovery-grace-ms", opts.manager.recovery_grace_ms,
                 "after a restart, how long workers have to reconnect before their tasks are re-queued")
      ->capture_default_str()->check(CLI::Range(0, 3600000));
  app.add_option("--heartbeat-ms", opts.manager.heartbeat_interval_ms, "heartbeat interval suggested to workers")
      ->capture_default_str()->check(CLI::Range(50, 600000));
  app.add_option("--retry-backoff-ms", opts.manager.retry_backoff_base_ms, "first retry delay (doubles per failure)")
      ->capture_default_str()->check(CLI::Range(0, 3600000));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  app.add_option("--tls-cert", sec.tls_cert_file, "TLS: server certificate chain (PEM)");
  app.add_option("--tls-key", sec.tls_key_file, "TLS: server private key (PEM)");
  app.add_option("--tls-client-ca", sec.tls_client_ca_file, "mutual TLS: require client certificates from this CA");
  app.add_option("--auth-tokens", sec.auth_tokens_file, "token file: lines `name role sha256hex` (SIGHUP reloads)");
  app.add_flag("--allow-unauthenticated", sec.allow_unauthenticated,
               "serve a non-loopback address without --auth-tokens (anyone can connect)");
  app.add_option("--data-root", sec.data_roots,
                 "allowed root of the paths in specs (repeatable; relative spec paths are taken under the first)")
      ->envname("ECGBENCH_DATA_ROOTS")
      ->delimiter(':')
      ->allow_extra_args(false);
  app.add_flag("--allow-any-path", sec.allow_any_path,
               "serve a non-loopback address without --data-root (specs may name any path)");
  app.add_option("--generate-certs", generate_certs, "write a self-signed CA, server and client certificate to DIR, exit");
  app.add_option("--cert-host", cert_hosts, "with --generate-certs: another server DNS name or IP (repeatable)");
  app.add_flag("--hash-token", hash_token, "read a token on stdin, print the SHA-256 hex for the token file, exit");
  CLI11_PARSE(app, argc, argv);
  if (!generate_certs.empty()) return ecgbench::server::RunGenerateCerts(generate_certs, cert_hosts, std::cout, std::cerr);
  if (hash_token) return ecgbench::server::RunHashToken(std::cin, std::cout, std::cerr);
  if (auto st = ecgbench::common::InitLogging("coordinator", log_level); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 2;
  }
  // Signals are taken synchronously by a dedicated wait below, never by async handlers.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto coordinator = ecgbench::server::Coordinator::Start(opts);
  if (!coordinator.ok()) {
    spdlog::critical("{}", coordinator.status().ToString());
    return 1;
  }
  auto write_port = [](const std::string& path, int port) {
    if (path.empty()) return true;
    auto st = ecgbench::common::WriteFileAtomic(path, std::to_string(port) + "\n");
    if (!st.ok()) spdlog::critical("{}", st.ToString());
    return st.ok();
  };
  if (!write_port(port_file, (*coordinator)->port()) || !write_port(metrics_port_file, (*coordinator)->metrics_port())) {
    return 1;
  }
  int sig = 0;
  while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
    auto reloaded = (*coordinator)->ReloadTokens();
    if (reloaded.ok()) spdlog::info("SIGHUP: reloaded {} tokens", *reloaded);
    if (!reloaded.ok()) spdlog::error("SIGHUP: tokens not reloaded, the previous ones stay: {}", reloaded.status().ToString());
  }
  spdlog::info("signal {} received, shutting down", sig);
  (*coordinator)->Shutdown(2000);
  coordinator->reset();
  return 0;
}
