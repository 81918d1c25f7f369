// Lead names and the standard order.
#include "common/ecg/core/leads.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg {

int StandardLeadIndex(std::string_view name) {
  std::string n;
  for (char c : name) {
    if (!std::isspace(static_cast<unsigned char>(c))) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  static const std::array<const char*, kNumStandardLeads> kLower = {"i",   "ii",  "iii", "avr", "avl", "avf",
                                                                   "v1",  "v2",  "v3",  "v4",  "v5",  "v6"};
  for (int i = 0; i < kNumStandardLeads; ++i) {
    if (n == kLower[static_cast<size_t>(i)]) return i;
  }
  return -1;
}

absl::Status HarmonizeLeads(Record& record) {
  if (absl::Status st = record.Validate(); !st.ok()) return st;
  const std::string where = record.path.empty() ? record.id : record.path;
  std::array<int, kNumStandardLeads> from{};
  from.fill(-1);
  for (int l = 0; l < record.num_leads(); ++l) {
    int idx = StandardLeadIndex(record.leads[static_cast<size_t>(l)]);
    if (idx < 0) continue;
    if (from[static_cast<size_t>(idx)] >= 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": lead ", kStandardLeads[static_cast<size_t>(idx)],
                                                     " appears twice"));
    }
    from[static_cast<size_t>(idx)] = l;
  }
  for (int i = 0; i < kNumStandardLeads; ++i) {
    if (from[static_cast<size_t>(i)] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": lead ", kStandardLeads[static_cast<size_t>(i)],
                                                     " missing (has ", record.num_leads(), " leads)"));
    }
  }
  bool identity = record.num_leads() == kNumStandardLeads;
  for (int i = 0; i < kNumStandardLeads && identity; ++i) identity = from[static_cast<size_t>(i)] == i;
  if (!identity) {
    const size_t n = static_cast<size_t>(record.num_samples);
    std::vector<float> out(kNumStandardLeads * n);
    for (int i = 0; i < kNumStandardLeads; ++i) {
      const float* src = record.lead(from[static_cast<size_t>(i)]);
      std::copy(src, src + n, out.begin() + static_cast<std::ptrdiff_t>(i * n));
    }
    record.samples = std::move(out);
  }
  record.leads.assign(kStandardLeads.begin(), kStandardLeads.end());
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
