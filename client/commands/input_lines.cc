// Line-by-line input of the text tools (input_lines.h).
#include "client/commands/input_lines.h"

#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace ecgbench::client {

absl::Status ForEachInputLine(const std::string& input,
                              const std::function<absl::Status(const std::string& line, int64_t n)>& fn) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (input != "-") {
    file.open(input);
    if (!file) return absl::NotFoundError(absl::StrCat(input, ": cannot open the input file"));
    in = &file;
  }
  std::string line;
  for (int64_t n = 1; std::getline(*in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::Status st = fn(line, n); !st.ok()) return st;
  }
  return absl::OkStatus();
}

std::string InputLineName(const std::string& input, int64_t n) {
  return absl::StrCat(input == "-" ? "stdin" : input, ":", n);
}

}  // namespace ecgbench::client
