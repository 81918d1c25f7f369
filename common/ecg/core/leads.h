// The 12 standard leads and lead-order harmonisation. Every dataset is brought to the order
// I, II, III, aVR, aVL, aVF, V1..V6 (upstream ECG-Bench mixes two orders: it moves MIMIC and CODE-15
// to I, II, III, aVL, aVR, aVF and leaves the others; this project uses one order for all).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg {

inline constexpr int kNumStandardLeads = 12;
inline constexpr std::array<const char*, kNumStandardLeads> kStandardLeads = {
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};

// Index 0..11 of a lead name in kStandardLeads, accepting the spellings found in the datasets
// ("avr", "AVR", "aVR", "V1 ", "MLII" is NOT a standard lead). -1 when not a standard lead.
int StandardLeadIndex(std::string_view name);

// Reorders `record` to the standard 12 leads (names canonicalised). InvalidArgument naming the
// record and the lead when a standard lead is missing or appears twice; extra non-standard leads
// are dropped.
absl::Status HarmonizeLeads(Record& record);

}  // namespace ecgbench::common::ecg
