// JSON printing of protobuf messages.
#include "client/ui/json.h"

#include <google/protobuf/util/json_util.h>

namespace ecgbench::client {

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  // Printing a well-formed message cannot fail; report it inside the document rather than crash.
  if (!status.ok()) out = "{\"error\": \"cannot print as JSON\"}";
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace ecgbench::client
