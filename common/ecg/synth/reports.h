// Label texts of synthetic records in the style of each dataset (internal to common/ecg/synth):
// PTB-XL reports (German or English, as in PTB-XL) and SCP codes, MIMIC-IV-ECG machine statements
// and CODE-15 label columns. All follow from the record's ground truth (SynthMeta), never from
// anything else, and are written only to label columns, never into ids or file names.
#pragma once

#include <string>
#include <vector>

#include "common/ecg/synth/generator.h"
#include "common/ecg/synth/rng.h"

namespace ecgbench::common::ecg::synth_internal {

// e.g. "sinusrhythmus av-block i grades" or "sinus rhythm. first degree av block."
std::string PtbxlReport(const SynthMeta& meta, Rng& rng);
// PTB-XL scp_codes dict literal, e.g. "{'1AVB': 100.0, 'SR': 0.0}".
std::string PtbxlScpCodes(const SynthMeta& meta);
// MIMIC-IV-ECG machine statements (report_0, report_1, ...), e.g. {"Sinus rhythm", "Normal ECG"}.
std::vector<std::string> MimicStatements(const SynthMeta& meta, Rng& rng);

struct Code15Labels {
  bool avb1 = false, rbbb = false, lbbb = false, sb = false, st = false, af = false, normal = false;
};
Code15Labels Code15LabelsFor(const SynthMeta& meta);

}  // namespace ecgbench::common::ecg::synth_internal
