// The classes of the synthetic ECG generator and their text labels. Each class differs from the
// others only in the signal (rate, rhythm regularity, P waves, PR, QRS width and shape, ST level,
// ectopic beats), never in anything written next to it except the label columns of a catalog.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::ecg {

enum class EcgClass {
  kSinusRhythm = 0,          // 60-100 bpm, regular, P before every QRS, PR 120-200 ms
  kSinusBradycardia,         // < 60 bpm
  kSinusTachycardia,         // > 100 bpm
  kAtrialFibrillation,       // irregularly irregular RR, no P waves, 4-9 Hz f-waves
  kFirstDegreeAvBlock,       // PR > 200 ms
  kBundleBranchBlock,        // QRS >= 120 ms, RBBB or LBBB morphology in V1/V6
  kStElevation,              // ST raised >= 0.2 mV in a contiguous lead group
  kPrematureVentricular,     // early wide beats with a compensatory pause
};

inline constexpr int kNumEcgClasses = 8;
inline constexpr std::array<EcgClass, kNumEcgClasses> kAllEcgClasses = {
    EcgClass::kSinusRhythm,        EcgClass::kSinusBradycardia,   EcgClass::kSinusTachycardia,
    EcgClass::kAtrialFibrillation, EcgClass::kFirstDegreeAvBlock, EcgClass::kBundleBranchBlock,
    EcgClass::kStElevation,        EcgClass::kPrematureVentricular};

// Bundle-branch block morphology (kNone for every other class).
enum class BbbType { kNone = 0, kRight, kLeft };
// Where an ST elevation is (kNone for every other class).
enum class StGroup { kNone = 0, kInferior, kAnterior, kLateral };

// Text label: "sinus rhythm", "sinus bradycardia", "sinus tachycardia", "atrial fibrillation",
// "first degree av block", "bundle branch block", "st elevation",
// "premature ventricular complexes".
std::string_view EcgClassName(EcgClass c);
// Short identifier for flags and configs: "sr", "sb", "st", "af", "avb1", "bbb", "ste", "pvc".
std::string_view EcgClassKey(EcgClass c);
// Accepts the text label or the short key (case-insensitive). InvalidArgument naming the value and
// the accepted keys otherwise.
absl::StatusOr<EcgClass> ParseEcgClass(std::string_view text);

// "complete right bundle branch block" / "complete left bundle branch block" / "none".
std::string_view BbbTypeName(BbbType t);
// "inferior" / "anterior" / "lateral" / "none".
std::string_view StGroupName(StGroup g);
// The contiguous leads of a group, as indices into kStandardLeads: inferior II, III, aVF;
// anterior V1-V4; lateral I, aVL, V5, V6; none: empty.
std::vector<int> StGroupLeads(StGroup g);

}  // namespace ecgbench::common::ecg
