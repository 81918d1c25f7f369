// Entry point of the synthetic data-set writer: option checks and layout dispatch.
#include "common/ecg/synth/dataset_writer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ecg/synth/dataset_plan.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

std::string_view SynthLayoutName(SynthLayout layout) {
  switch (layout) {
    case SynthLayout::kPtbxl: return "ptbxl";
    case SynthLayout::kCode15: return "code15";
    case SynthLayout::kMimic: return "mimic";
  }
  return "unknown";
}

absl::StatusOr<SynthLayout> ParseSynthLayout(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  for (SynthLayout l : {SynthLayout::kPtbxl, SynthLayout::kCode15, SynthLayout::kMimic}) {
    if (lower == SynthLayoutName(l)) return l;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown layout '", std::string(text), "' (expected ptbxl, code15 or mimic)"));
}

absl::Status WriteSyntheticDataset(const SynthDatasetOptions& options, std::vector<SynthRecordTruth>* truth) {
  if (options.out_dir.empty()) return absl::InvalidArgumentError("out_dir must not be empty");
  if (options.records < 1 || options.records > 1000000) {
    return absl::InvalidArgumentError(absl::StrCat("records must be in [1, 1000000], got ", options.records));
  }
  for (EcgClass c : options.classes) {
    if (static_cast<int>(c) < 0 || static_cast<int>(c) >= kNumEcgClasses) {
      return absl::InvalidArgumentError(absl::StrCat("classes: invalid class value ", static_cast<int>(c)));
    }
  }
  ECGBENCH_RETURN_IF_ERROR(MakeDirs(options.out_dir));
  if (truth != nullptr) truth->clear();
  synth_internal::DatasetPlan plan = synth_internal::PlanDataset(options);
  switch (options.layout) {
    case SynthLayout::kPtbxl: return synth_internal::WritePtbxlLayout(options, plan, truth);
    case SynthLayout::kCode15: return synth_internal::WriteCode15Layout(options, plan, truth);
    case SynthLayout::kMimic: return synth_internal::WriteMimicLayout(options, plan, truth);
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid layout value ", static_cast<int>(options.layout)));
}

}  // namespace ecgbench::common::ecg
