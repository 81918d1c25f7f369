// CommandContext.
#include "client/commands/context.h"

#include "client/commands/exit_codes.h"

namespace ecgbench::client {

CoordinatorClient& CommandContext::client() {
  if (!client_) client_ = NewClient(global_.coordinator);
  return *client_;
}

std::unique_ptr<CoordinatorClient> CommandContext::NewClient(const std::string& address) const {
  ClientOptions options;
  options.address = address;
  options.timeout_seconds = global_.timeout_seconds;
  return std::make_unique<CoordinatorClient>(options);
}

int CommandContext::Fail(const absl::Status& status) {
  err() << "ecgbench: " << status.message() << "\n" << std::flush;
  return ExitCodeForStatus(status);
}

}  // namespace ecgbench::client
