// Reading a command's text input line by line (the `text` and `tokenizer` tools): a file or "-"
// for stdin, a trailing CR dropped, line numbers from 1 for messages ("FILE:LINE" / "stdin:LINE").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace ecgbench::client {

// Calls fn(line, line_number) for each line of `input` ("-": stdin) until fn fails; returns fn's
// first error, or NotFound "<input>: cannot open the input file".
absl::Status ForEachInputLine(const std::string& input,
                              const std::function<absl::Status(const std::string& line, int64_t n)>& fn);

// "stdin:N" or "<input>:N".
std::string InputLineName(const std::string& input, int64_t n);

}  // namespace ecgbench::client
