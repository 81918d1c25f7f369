// Protobuf messages as JSON for --json output (proto3 JSON mapping: lowerCamelCase field names,
// enums by name, every field printed, including defaults). Pure; thread-safe.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace ecgbench::client {

// pretty: indented multi-line document (for one reply); otherwise one line (for streams, one
// document per line). Always ends with '\n'.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

}  // namespace ecgbench::client
