// WFDB header (.hea) files, as described in PhysioNet's header(5): the record line, one signal
// line per signal, and '#' comment lines (CinC 2020 style "#Age: 63", "#Dx: 426783006,164889003").
// Parsing is pure text processing (no file access, no heavy dependencies: the fuzz target compiles
// this file alone). Signal formats 16, 212 and 24 are supported; other known WFDB formats are
// rejected with "format 80 not supported (supported: 16, 212, 24)", unknown codes with
// "unknown format code 99". Multi-segment records are rejected, and so are signal file names that
// leave the header's directory (absolute, or with a ".." component).
//
// Errors are InvalidArgument "NAME:LINE: reason" (NAME as passed by the caller, usually the .hea
// path); header-wide problems use "NAME: reason". Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::ecg {

inline constexpr double kWfdbDefaultGain = 200;   // adu per unit when the header gives 0 or none
inline constexpr double kWfdbDefaultFs = 250;     // Hz when the record line gives none

struct WfdbSignalSpec {
  std::string file_name;         // relative to the header's directory
  int format = 16;               // 16, 212 or 24
  int64_t byte_offset = 0;       // "16+24": bytes to skip at the start of the file
  double adc_gain = kWfdbDefaultGain;  // adu per physical unit (> 0; 0 in the file -> 200)
  int baseline = 0;              // "200(-5)"; defaults to adc_zero
  std::string units = "mV";      // "/uV"; defaults to mV
  int adc_resolution = 0;        // bits; 0 = unknown
  int adc_zero = 0;
  int initial_value = 0;         // defaults to adc_zero
  std::optional<int> checksum;   // 16-bit signed sum of all samples, when the header has one
  int block_size = 0;
  std::string description;       // the lead name ("I", "V1", "AVR", ...); may contain spaces
  int line = 0;                  // line of this signal in the header, for messages
};

struct WfdbHeader {
  std::string record_name;
  double sampling_frequency = kWfdbDefaultFs;  // Hz (> 0)
  double counter_frequency = 0;                // 0 when absent
  int64_t num_samples = 0;                     // per signal; 0 = not given (derive from the file)
  std::string base_time;                       // "hh:mm:ss" as written, empty when absent
  std::string base_date;                       // "dd/mm/yyyy" as written, empty when absent
  std::vector<WfdbSignalSpec> signals;
  std::vector<std::string> comments;           // comment lines without '#', trimmed
  // "key: value" comments in order ("Age" -> "63"); keys and values trimmed.
  std::vector<std::pair<std::string, std::string>> comment_fields;

  // Value of the first comment field named `key` (case-insensitive), or nullptr.
  const std::string* CommentField(std::string_view key) const;
};

// Parses `text` (the whole .hea). `name` appears in error messages.
absl::StatusOr<WfdbHeader> ParseWfdbHeader(std::string_view text, const std::string& name);

// Writes `header` in the canonical layout (record line, signal lines, "#key: value" comment lines
// from comment_fields, then plain comments); ParseWfdbHeader reads it back equal.
std::string FormatWfdbHeader(const WfdbHeader& header);

// True for the format codes this library reads and writes (16, 212, 24).
bool IsSupportedWfdbFormat(int format);

// Bytes that `num_samples_total` samples (all signals of one file, interleaved) occupy in `format`.
int64_t WfdbBytesForSamples(int format, int64_t num_samples_total);

}  // namespace ecgbench::common::ecg
