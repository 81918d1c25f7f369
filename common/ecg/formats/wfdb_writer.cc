// WFDB writer: quantises each lead, packs the interleaved frames in format 16 / 212 / 24 and writes
// the matching header with checksums.
#include "common/ecg/formats/wfdb_writer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/formats/wfdb_header.h"
#include "common/ecg/formats/file_io.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

struct Range {
  int invalid;  // WFDB's invalid-sample code (NaN)
  int max;
};

Range RangeOf(int format) {
  switch (format) {
    case 212: return {-2048, 2047};
    case 24: return {-8388608, 8388607};
    default: return {-32768, 32767};
  }
}

int Quantise(float mv, double gain, Range range) {
  if (!std::isfinite(mv)) return std::isnan(mv) ? range.invalid : (mv > 0 ? range.max : range.invalid + 1);
  const double d = std::nearbyint(static_cast<double>(mv) * gain);
  if (d > range.max) return range.max;
  if (d <= range.invalid) return range.invalid + 1;
  return static_cast<int>(d);
}

}  // namespace

absl::Status WriteWfdbRecord(const Record& r, const std::string& dir, const std::string& name,
                             const WfdbWriteOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(r.Validate());
  if (!IsSupportedWfdbFormat(options.format)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": cannot write format ", options.format,
                                                   " (supported: 16, 212, 24)"));
  }
  if (!(options.gain > 0) || !std::isfinite(options.gain)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": gain must be positive, got ", options.gain));
  }
  if (name.empty() || name.find_first_of(" \t\r\n/") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "': a WFDB record name has no spaces or slashes"));
  }
  for (const std::string& lead : r.leads) {
    if (lead.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": lead name with a line break"));
    }
  }
  const size_t nsig = r.leads.size();
  const int64_t n = r.num_samples;
  const Range range = RangeOf(options.format);
  const std::string dat_name = name + ".dat";
  std::string dat(static_cast<size_t>(WfdbBytesForSamples(options.format, n * static_cast<int64_t>(nsig))), '\0');
  auto* out = reinterpret_cast<uint8_t*>(&dat[0]);
  std::vector<int64_t> sums(nsig, 0);
  std::vector<int> initial(nsig, 0);
  int64_t s = 0;  // index in the sample stream
  for (int64_t t = 0; t < n; ++t) {
    for (size_t j = 0; j < nsig; ++j, ++s) {
      const int d = Quantise(r.lead(static_cast<int>(j))[t], options.gain, range);
      sums[j] += d;
      if (t == 0) initial[j] = d;
      const auto u = static_cast<uint32_t>(d);
      if (options.format == 16) {
        out[2 * s] = static_cast<uint8_t>(u);
        out[2 * s + 1] = static_cast<uint8_t>(u >> 8);
      } else if (options.format == 24) {
        out[3 * s] = static_cast<uint8_t>(u);
        out[3 * s + 1] = static_cast<uint8_t>(u >> 8);
        out[3 * s + 2] = static_cast<uint8_t>(u >> 16);
      } else {
        uint8_t* q = out + 3 * (s / 2);
        if (s % 2 == 0) {
          q[0] = static_cast<uint8_t>(u);
          q[1] = static_cast<uint8_t>((q[1] & 0xF0) | ((u >> 8) & 0x0F));
        } else {
          q[1] = static_cast<uint8_t>((q[1] & 0x0F) | (((u >> 8) & 0x0F) << 4));
          q[2] = static_cast<uint8_t>(u);
        }
      }
    }
  }

  WfdbHeader h;
  h.record_name = name;
  h.sampling_frequency = r.sampling_rate_hz;
  h.num_samples = n;
  for (size_t j = 0; j < nsig; ++j) {
    WfdbSignalSpec sig;
    sig.file_name = dat_name;
    sig.format = options.format;
    sig.adc_gain = options.gain;
    sig.baseline = 0;
    sig.units = "mV";
    sig.adc_resolution = options.format == 212 ? 12 : options.format;
    sig.adc_zero = 0;
    sig.initial_value = initial[j];
    sig.checksum = static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint64_t>(sums[j]) & 0xFFFF));
    sig.block_size = 0;
    sig.description = r.leads[j];
    h.signals.push_back(std::move(sig));
  }
  if (options.write_comments) {
    if (r.age.has_value()) h.comments.push_back(absl::StrCat("Age: ", *r.age));
    if (r.sex == "M" || r.sex == "F") h.comments.push_back(absl::StrCat("Sex: ", r.sex == "M" ? "Male" : "Female"));
    if (!r.dx_codes.empty()) h.comments.push_back(absl::StrCat("Dx: ", absl::StrJoin(r.dx_codes, ",")));
  }
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  ECGBENCH_RETURN_IF_ERROR(WriteWholeFile(base + dat_name, dat, options.durable));
  return WriteWholeFile(base + name + ".hea", FormatWfdbHeader(h), options.durable);
}

}  // namespace ecgbench::common::ecg
