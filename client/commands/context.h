// CommandContext: what every command gets: the global options, where to print, whether stdout is a
// terminal, and the coordinator client (created on first use). One per CLI invocation; not
// thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/commands/coordinator_client.h"
#include "client/ui/terminal.h"

namespace ecgbench::client {

inline constexpr char kDefaultCoordinator[] = "127.0.0.1:50051";
inline constexpr char kCoordinatorEnv[] = "ECGBENCH_COORDINATOR";
inline constexpr char kTokenEnv[] = "ECGBENCH_TOKEN";
inline constexpr char kTokenFileEnv[] = "ECGBENCH_TOKEN_FILE";
inline constexpr char kTlsCaEnv[] = "ECGBENCH_TLS_CA";
inline constexpr char kTlsCertEnv[] = "ECGBENCH_TLS_CERT";
inline constexpr char kTlsKeyEnv[] = "ECGBENCH_TLS_KEY";

struct GlobalOptions {
  std::string coordinator = kDefaultCoordinator;
  double timeout_seconds = 30;
  std::string log_level = "warn";
  common::SecurityFiles security_files;  // --tls-ca/--tls-cert/--tls-key/--token/--token-file
};

struct Io {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Terminal facts about `out`, asked when needed (the size can change during a watch).
  std::function<TerminalInfo()> terminal;
};

class CommandContext {
 public:
  explicit CommandContext(Io io) : io_(std::move(io)) {}

  GlobalOptions& global() { return global_; }
  std::ostream& out() { return *io_.out; }
  std::ostream& err() { return *io_.err; }
  TerminalInfo terminal() const { return io_.terminal ? io_.terminal() : TerminalInfo{}; }
  const std::function<TerminalInfo()>& terminal_source() const { return io_.terminal; }

  // Reads the files named by the security options (once, after parsing). Errors name the flag/file.
  absl::Status LoadSecurity();
  // The client for --coordinator / --timeout and the security options, created on first use.
  CoordinatorClient& client();
  // A client for another address (the embedded coordinator) with the same timeout and `security`.
  std::unique_ptr<CoordinatorClient> NewClient(const std::string& address,
                                               const common::ChannelSecurity& security) const;

  // Prints "ecgbench: <message>" to err and returns the exit code for the status.
  int Fail(const absl::Status& status);

 private:
  Io io_;
  GlobalOptions global_;
  common::ChannelSecurity security_;
  std::unique_ptr<CoordinatorClient> client_;
};

}  // namespace ecgbench::client
