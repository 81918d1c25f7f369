// Labels of the synthetic ECG classes.
#include "common/ecg/synth/ecg_class.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg {

std::string_view EcgClassName(EcgClass c) {
  switch (c) {
    case EcgClass::kSinusRhythm: return "sinus rhythm";
    case EcgClass::kSinusBradycardia: return "sinus bradycardia";
    case EcgClass::kSinusTachycardia: return "sinus tachycardia";
    case EcgClass::kAtrialFibrillation: return "atrial fibrillation";
    case EcgClass::kFirstDegreeAvBlock: return "first degree av block";
    case EcgClass::kBundleBranchBlock: return "bundle branch block";
    case EcgClass::kStElevation: return "st elevation";
    case EcgClass::kPrematureVentricular: return "premature ventricular complexes";
  }
  return "unknown";
}

std::string_view EcgClassKey(EcgClass c) {
  switch (c) {
    case EcgClass::kSinusRhythm: return "sr";
    case EcgClass::kSinusBradycardia: return "sb";
    case EcgClass::kSinusTachycardia: return "st";
    case EcgClass::kAtrialFibrillation: return "af";
    case EcgClass::kFirstDegreeAvBlock: return "avb1";
    case EcgClass::kBundleBranchBlock: return "bbb";
    case EcgClass::kStElevation: return "ste";
    case EcgClass::kPrematureVentricular: return "pvc";
  }
  return "unknown";
}

absl::StatusOr<EcgClass> ParseEcgClass(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      absl::string_view(text.data(), text.size())));
  for (EcgClass c : kAllEcgClasses) {
    if (lower == EcgClassKey(c) || lower == EcgClassName(c)) return c;
  }
  std::string keys;
  for (EcgClass c : kAllEcgClasses) absl::StrAppend(&keys, keys.empty() ? "" : ", ", std::string(EcgClassKey(c)));
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ECG class '", std::string(text), "' (expected one of: ", keys, ")"));
}

std::string_view BbbTypeName(BbbType t) {
  switch (t) {
    case BbbType::kRight: return "complete right bundle branch block";
    case BbbType::kLeft: return "complete left bundle branch block";
    case BbbType::kNone: return "none";
  }
  return "none";
}

std::string_view StGroupName(StGroup g) {
  switch (g) {
    case StGroup::kInferior: return "inferior";
    case StGroup::kAnterior: return "anterior";
    case StGroup::kLateral: return "lateral";
    case StGroup::kNone: return "none";
  }
  return "none";
}

std::vector<int> StGroupLeads(StGroup g) {
  switch (g) {
    case StGroup::kInferior: return {1, 2, 5};
    case StGroup::kAnterior: return {6, 7, 8, 9};
    case StGroup::kLateral: return {0, 4, 10, 11};
    case StGroup::kNone: return {};
  }
  return {};
}

}  // namespace ecgbench::common::ecg
