// Client channels to the coordinator. One place decides transport security and call credentials,
// so that TLS and bearer tokens (issue 10) change no caller.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>

namespace ecgbench::common {

struct ChannelOptions {
  std::string address;  // host:port
};

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options);

// Waits until the channel is connected or the timeout passes.
bool WaitForConnected(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout);

}  // namespace ecgbench::common
