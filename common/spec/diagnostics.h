// Diagnostics: collects every validation error of a spec so a user can fix them all at once.
// Each error reads `<key path>: <reason> (<file>:<line>)`; ToStatus() sorts them by line (stable),
// drops exact duplicates (a matrix validates the same value once per run) and joins them with "\n"
// into one InvalidArgument status. Not thread-safe; one instance per parse.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace ecgbench::common {

class Diagnostics {
 public:
  // At most this many errors are listed; the rest are counted in a final line.
  static constexpr size_t kMaxListed = 100;

  explicit Diagnostics(std::string file_name) : file_name_(std::move(file_name)) {}

  const std::string& file_name() const { return file_name_; }

  // Records `<path>: <reason> (<file>:<line>)`.
  void Error(const std::string& path, int line, const std::string& reason);

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

  // OK when no error was recorded, else InvalidArgument with every error, sorted by line.
  absl::Status ToStatus() const;

 private:
  struct Item {
    int line;
    std::string message;
  };

  std::string file_name_;
  std::vector<Item> items_;
  absl::flat_hash_set<std::string> seen_;
};

}  // namespace ecgbench::common
