// Report texts, SCP codes and label columns of synthetic records (see reports.h).
#include "common/ecg/synth/reports.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg::synth_internal {
namespace {

const char* GermanGroup(StGroup g) {
  switch (g) {
    case StGroup::kInferior: return "inferior";
    case StGroup::kAnterior: return "anteroseptal";
    case StGroup::kLateral: return "lateral";
    case StGroup::kNone: break;
  }
  return "";
}

}  // namespace

std::string PtbxlReport(const SynthMeta& meta, Rng& rng) {
  // PTB-XL reports are mostly German free text in lower case; a minority is English.
  const bool german = rng.Bernoulli(0.7);
  const bool variant = rng.Bernoulli(0.5);
  switch (meta.ecg_class) {
    case EcgClass::kSinusRhythm:
      if (!german) return "sinus rhythm. normal ecg.";
      return variant ? "sinusrhythmus normales ekg" : "sinusrhythmus lagetyp normal normales ekg";
    case EcgClass::kSinusBradycardia:
      return german ? "sinusbradykardie sonst normales ekg" : "sinus bradycardia. otherwise normal ecg.";
    case EcgClass::kSinusTachycardia:
      return german ? "sinustachykardie sonst normales ekg" : "sinus tachycardia. otherwise normal ecg.";
    case EcgClass::kAtrialFibrillation: {
      const bool fast = meta.heart_rate_bpm > 100;
      if (!german) return fast ? "atrial fibrillation with rapid ventricular response." : "atrial fibrillation.";
      return fast ? "vorhofflimmern mit schneller ventrikulaerer ueberleitung"
                  : "vorhofflimmern mit normaler ventrikulaerer frequenz";
    }
    case EcgClass::kFirstDegreeAvBlock:
      return german ? "sinusrhythmus av-block i grades" : "sinus rhythm. first degree av block.";
    case EcgClass::kBundleBranchBlock:
      if (meta.bbb_type == BbbType::kRight) {
        return german ? "sinusrhythmus kompletter rechtsschenkelblock" : "sinus rhythm. complete right bundle branch block.";
      }
      return german ? "sinusrhythmus kompletter linksschenkelblock" : "sinus rhythm. complete left bundle branch block.";
    case EcgClass::kStElevation:
      if (german) return absl::StrCat("sinusrhythmus st-hebung ", GermanGroup(meta.st_group), " vereinbar mit akutem infarkt");
      return absl::StrCat("sinus rhythm. st elevation in ", std::string(StGroupName(meta.st_group)),
                          " leads, consistent with acute infarction.");
    case EcgClass::kPrematureVentricular: {
      const bool many = meta.num_premature > 1;
      if (german) return many ? "sinusrhythmus ventrikulaere extrasystolen" : "sinusrhythmus ventrikulaere extrasystole";
      return many ? "sinus rhythm. ventricular premature complexes." : "sinus rhythm. ventricular premature complex.";
    }
  }
  return "";
}

std::string PtbxlScpCodes(const SynthMeta& meta) {
  // Real PTB-XL codes; rhythm statements carry likelihood 0.0 as in PTB-XL.
  switch (meta.ecg_class) {
    case EcgClass::kSinusRhythm: return "{'NORM': 100.0, 'SR': 0.0}";
    case EcgClass::kSinusBradycardia: return "{'NORM': 100.0, 'SBRAD': 0.0}";
    case EcgClass::kSinusTachycardia: return "{'NORM': 100.0, 'STACH': 0.0}";
    case EcgClass::kAtrialFibrillation: return "{'AFIB': 0.0}";
    case EcgClass::kFirstDegreeAvBlock: return "{'1AVB': 100.0, 'SR': 0.0}";
    case EcgClass::kBundleBranchBlock:
      return meta.bbb_type == BbbType::kRight ? "{'CRBBB': 100.0, 'SR': 0.0}" : "{'CLBBB': 100.0, 'SR': 0.0}";
    case EcgClass::kStElevation:
      switch (meta.st_group) {
        case StGroup::kInferior: return "{'IMI': 100.0, 'STE_': 0.0, 'SR': 0.0}";
        case StGroup::kAnterior: return "{'ASMI': 100.0, 'STE_': 0.0, 'SR': 0.0}";
        default: return "{'LMI': 100.0, 'STE_': 0.0, 'SR': 0.0}";
      }
    case EcgClass::kPrematureVentricular: return "{'PVC': 100.0, 'SR': 0.0}";
  }
  return "{}";
}

std::vector<std::string> MimicStatements(const SynthMeta& meta, Rng& rng) {
  switch (meta.ecg_class) {
    case EcgClass::kSinusRhythm: return {"Sinus rhythm", "Normal ECG"};
    case EcgClass::kSinusBradycardia: return {"Sinus bradycardia", "Otherwise normal ECG"};
    case EcgClass::kSinusTachycardia: return {"Sinus tachycardia", "Otherwise normal ECG"};
    case EcgClass::kAtrialFibrillation:
      if (meta.heart_rate_bpm > 100) return {"Atrial fibrillation with rapid ventricular response", "Abnormal ECG"};
      return {"Atrial fibrillation", "Abnormal ECG"};
    case EcgClass::kFirstDegreeAvBlock: return {"Sinus rhythm", "1st degree A-V block", "Borderline ECG"};
    case EcgClass::kBundleBranchBlock:
      if (meta.bbb_type == BbbType::kRight) return {"Sinus rhythm", "Right bundle branch block", "Abnormal ECG"};
      return {"Sinus rhythm", "Left bundle branch block", "Abnormal ECG"};
    case EcgClass::kStElevation: {
      const char* where = meta.st_group == StGroup::kInferior   ? "Inferior"
                          : meta.st_group == StGroup::kAnterior ? "Anterior"
                                                                : "Lateral";
      const char* lower = meta.st_group == StGroup::kInferior   ? "inferior"
                          : meta.st_group == StGroup::kAnterior ? "anterior"
                                                                : "lateral";
      return {"Sinus rhythm", absl::StrCat(where, " ST elevation"), absl::StrCat("Consider acute ", lower, " infarct"),
              "** ** ACUTE MI / STEMI ** **", "Abnormal ECG"};
    }
    case EcgClass::kPrematureVentricular:
      if (rng.Bernoulli(0.5)) return {"Sinus rhythm with PVC(s)", "Borderline ECG"};
      return {"Sinus rhythm", "Ventricular premature complex", "Borderline ECG"};
  }
  return {};
}

Code15Labels Code15LabelsFor(const SynthMeta& meta) {
  Code15Labels l;
  switch (meta.ecg_class) {
    case EcgClass::kSinusRhythm: l.normal = true; break;
    case EcgClass::kSinusBradycardia: l.sb = true; break;
    case EcgClass::kSinusTachycardia: l.st = true; break;
    case EcgClass::kAtrialFibrillation: l.af = true; break;
    case EcgClass::kFirstDegreeAvBlock: l.avb1 = true; break;
    case EcgClass::kBundleBranchBlock:
      l.rbbb = meta.bbb_type == BbbType::kRight;
      l.lbbb = meta.bbb_type == BbbType::kLeft;
      break;
    case EcgClass::kStElevation:
    case EcgClass::kPrematureVentricular: break;  // CODE-15 has no column for these
  }
  return l;
}

}  // namespace ecgbench::common::ecg::synth_internal
