// CommandContext.
#include "client/commands/context.h"

#include "client/commands/exit_codes.h"

namespace ecgbench::client {

absl::Status CommandContext::LoadSecurity() {
  auto security = common::LoadChannelSecurity(global_.security_files);
  if (!security.ok()) return security.status();
  security_ = *std::move(security);
  return absl::OkStatus();
}

CoordinatorClient& CommandContext::client() {
  if (!client_) client_ = NewClient(global_.coordinator, security_);
  return *client_;
}

std::unique_ptr<CoordinatorClient> CommandContext::NewClient(const std::string& address,
                                                             const common::ChannelSecurity& security) const {
  ClientOptions options;
  options.address = address;
  options.security = security;
  options.timeout_seconds = global_.timeout_seconds;
  return std::make_unique<CoordinatorClient>(options);
}

int CommandContext::Fail(const absl::Status& status) {
  err() << "ecgbench: " << status.message() << "\n" << std::flush;
  return ExitCodeForStatus(status);
}

}  // namespace ecgbench::client
