// Channel construction.
#include "common/rpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

namespace ecgbench::common {

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options) {
  grpc::ChannelArguments args;
  // Reconnect quickly after a coordinator restart (default backoff grows to 120 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
}

bool WaitForConnected(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout) {
  return channel->WaitForConnected(std::chrono::system_clock::now() + timeout);
}

}  // namespace ecgbench::common
