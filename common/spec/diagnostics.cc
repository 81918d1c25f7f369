// Diagnostics: error collection and the one place the error format is written.
#include "common/spec/diagnostics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ecgbench::common {

void Diagnostics::Error(const std::string& path, int line, const std::string& reason) {
  std::string message = absl::StrCat(path, ": ", reason, " (", file_name_, ":", line, ")");
  if (!seen_.insert(message).second) return;
  items_.push_back(Item{line, std::move(message)});
}

absl::Status Diagnostics::ToStatus() const {
  if (items_.empty()) return absl::OkStatus();
  std::vector<const Item*> sorted;
  sorted.reserve(items_.size());
  for (const Item& item : items_) sorted.push_back(&item);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Item* a, const Item* b) { return a->line < b->line; });
  std::string text;
  const size_t listed = std::min(sorted.size(), kMaxListed);
  for (size_t i = 0; i < listed; ++i) {
    if (i > 0) text.append("\n");
    text.append(sorted[i]->message);
  }
  if (sorted.size() > listed) {
    absl::StrAppend(&text, "\n... and ", sorted.size() - listed, " more errors");
  }
  return absl::InvalidArgumentError(text);
}

}  // namespace ecgbench::common
