// libFuzzer target for the WFDB .hea parser: any input must parse or fail cleanly (ASan/UBSan
// watch), and a header that parses must survive FormatWfdbHeader -> ParseWfdbHeader unchanged.
// Built and run by run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/ecg/formats/wfdb_header.h"

namespace {

using ecgbench::common::ecg::WfdbHeader;
using ecgbench::common::ecg::WfdbSignalSpec;

bool SameSignal(const WfdbSignalSpec& a, const WfdbSignalSpec& b) {
  return a.file_name == b.file_name && a.format == b.format && a.byte_offset == b.byte_offset &&
         a.adc_gain == b.adc_gain && a.baseline == b.baseline && a.units == b.units &&
         a.adc_resolution == b.adc_resolution && a.adc_zero == b.adc_zero && a.initial_value == b.initial_value &&
         a.checksum == b.checksum && a.block_size == b.block_size && a.description == b.description;
}

bool Same(const WfdbHeader& a, const WfdbHeader& b) {
  if (a.record_name != b.record_name || a.sampling_frequency != b.sampling_frequency ||
      a.counter_frequency != b.counter_frequency || a.num_samples != b.num_samples || a.base_time != b.base_time ||
      a.base_date != b.base_date || a.signals.size() != b.signals.size() || a.comments != b.comments ||
      a.comment_fields != b.comment_fields) {
    return false;
  }
  for (size_t i = 0; i < a.signals.size(); ++i) {
    if (!SameSignal(a.signals[i], b.signals[i])) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<WfdbHeader> h = ecgbench::common::ecg::ParseWfdbHeader(text, "fuzz.hea");
  if (!h.ok()) return 0;
  const std::string again = ecgbench::common::ecg::FormatWfdbHeader(*h);
  absl::StatusOr<WfdbHeader> h2 = ecgbench::common::ecg::ParseWfdbHeader(again, "formatted.hea");
  if (!h2.ok() || !Same(*h, *h2)) __builtin_trap();
  return 0;
}
