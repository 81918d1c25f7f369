// WFDB signal reading: groups the header's signals by file, decodes each file's interleaved
// frames (16 / 212 / 24, or a v4 .mat matrix) straight into the lead-major Record, and checks
// sizes and checksums on the way.
#include "common/ecg/formats/wfdb_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ecg/formats/matv4_reader.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

constexpr int64_t kMaxSamples = int64_t{1} << 40;  // keeps byte counts far from int64 overflow

struct Group {
  std::string file_name;
  std::vector<int> signals;  // indices into header.signals, in file order
};

// physical mV = (digital - baseline) * scale
struct Conversion {
  double baseline;
  double scale;
};

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::string WithHea(const std::string& path) {
  return absl::EndsWith(path, ".hea") ? path : path + ".hea";
}

std::string LeadName(const WfdbHeader& h, int s) {
  const std::string& d = h.signals[static_cast<size_t>(s)].description;
  return d.empty() ? absl::StrCat("signal ", s + 1) : d;
}

// Decodes frames [0, n) of one file into the record. Format: 24 or 212 (16: DecodeFile16).
template <int kFormat>
void DecodeFile(const uint8_t* p, int64_t n, const Group& g, const std::vector<Conversion>& conv,
                Record& r, std::vector<int64_t>& sums) {
  const size_t k = g.signals.size();
  constexpr int kInvalid = kFormat == 24 ? -8388608 : -2048;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  int64_t s = 0;  // index in the file's sample stream
  for (int64_t t = 0; t < n; ++t) {
    for (size_t j = 0; j < k; ++j, ++s) {
      int d;
      if constexpr (kFormat == 24) {
        const uint8_t* q = p + 3 * s;
        d = static_cast<int>(static_cast<uint32_t>(q[0]) | (static_cast<uint32_t>(q[1]) << 8) |
                             (static_cast<uint32_t>(q[2]) << 16));
        if (d & 0x800000) d -= 0x1000000;
      } else {
        const uint8_t* q = p + 3 * (s / 2);
        d = (s % 2 == 0) ? (q[0] | ((q[1] & 0x0F) << 8)) : (q[2] | ((q[1] & 0xF0) << 4));
        if (d & 0x800) d -= 0x1000;
      }
      const int sig = g.signals[j];
      sums[static_cast<size_t>(sig)] += d;
      const Conversion& c = conv[static_cast<size_t>(sig)];
      r.lead(sig)[t] = d == kInvalid ? nan : static_cast<float>((d - c.baseline) * c.scale);
    }
  }
}

// Format 16 with kK signals per frame (12: every 12-lead WFDB record): frame by frame, the frame's
// kK samples converted together (contiguous loads, per-lane constants; GCC's SLP vectoriser turns
// this into vector code), then stored to the kK lead rows.
template <size_t kK>
void DecodeFrames16(const uint8_t* p, int64_t n, const Group& g, const std::vector<Conversion>& conv, Record& r,
                    std::vector<int64_t>& sums) {
  double baseline[kK], scale[kK];
  float* out[kK];
  int64_t sum[kK] = {};
  for (size_t j = 0; j < kK; ++j) {
    const auto sig = static_cast<size_t>(g.signals[j]);
    baseline[j] = conv[sig].baseline;
    scale[j] = conv[sig].scale;
    out[j] = r.lead(g.signals[j]);
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t t = 0; t < n; ++t, p += 2 * kK) {
    int16_t d[kK];
    std::memcpy(d, p, sizeof(d));  // little-endian host (checked by the segment store)
    for (size_t j = 0; j < kK; ++j) {
      sum[j] += d[j];
      const float v = static_cast<float>((d[j] - baseline[j]) * scale[j]);
      out[j][t] = d[j] == -32768 ? nan : v;
    }
  }
  for (size_t j = 0; j < kK; ++j) sums[static_cast<size_t>(g.signals[j])] += sum[j];
}

// Format 16, any signal count: one strided pass per signal with its constants hoisted.
void DecodeFile16(const uint8_t* p, int64_t n, const Group& g, const std::vector<Conversion>& conv, Record& r,
                  std::vector<int64_t>& sums) {
  const size_t k = g.signals.size();
  if (k == 12) return DecodeFrames16<12>(p, n, g, conv, r, sums);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t j = 0; j < k; ++j) {
    const int sig = g.signals[j];
    const double baseline = conv[static_cast<size_t>(sig)].baseline;
    const double scale = conv[static_cast<size_t>(sig)].scale;
    float* out = r.lead(sig);
    const uint8_t* q = p + 2 * j;
    const size_t stride = 2 * k;
    int64_t sum = 0;
    for (int64_t t = 0; t < n; ++t, q += stride) {
      const int d = static_cast<int16_t>(static_cast<uint16_t>(q[0] | (q[1] << 8)));
      sum += d;
      out[t] = d == -32768 ? nan : static_cast<float>((d - baseline) * scale);
    }
    sums[static_cast<size_t>(sig)] += sum;
  }
}

int64_t FramesIn(int format, int64_t bytes, int64_t k) {
  const int64_t samples = format == 212 ? bytes * 2 / 3 : bytes / (format == 24 ? 3 : 2);
  return samples / k;
}

absl::Status ReadDatGroup(const WfdbHeader& h, const std::string& path, const Group& g,
                          const std::vector<Conversion>& conv, int64_t* n, Record& r,
                          std::vector<int64_t>& sums) {
  const WfdbSignalSpec& first = h.signals[static_cast<size_t>(g.signals[0])];
  ECGBENCH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  const int64_t k = static_cast<int64_t>(g.signals.size());
  const int64_t have = std::max<int64_t>(0, static_cast<int64_t>(bytes.size()) - first.byte_offset);
  if (*n == 0) *n = FramesIn(first.format, have, k);
  if (*n == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no samples"));
  const int64_t want = WfdbBytesForSamples(first.format, *n * k);
  const std::string what =
      absl::StrCat(want, " bytes (", *n, " samples x ", k, k == 1 ? " signal" : " signals", " in format ", first.format, ")",
                   first.byte_offset > 0 ? absl::StrCat(" after byte offset ", first.byte_offset) : "");
  if (have < want) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated: expected ", what, ", found ", have));
  }
  // Writers may pad an odd last 212 group to 3 bytes; anything longer means the header is wrong.
  if (have > want + (first.format == 212 ? 1 : 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected ", what, ", found ", have,
                                                   ": the header does not match the signal file"));
  }
  if (r.samples.empty()) r.samples.resize(h.signals.size() * static_cast<size_t>(*n));
  r.num_samples = *n;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + first.byte_offset;
  switch (first.format) {
    case 16: DecodeFile16(p, *n, g, conv, r, sums); break;
    case 24: DecodeFile<24>(p, *n, g, conv, r, sums); break;
    default: DecodeFile<212>(p, *n, g, conv, r, sums); break;
  }
  return absl::OkStatus();
}

absl::Status ReadMatGroup(const WfdbHeader& h, const std::string& hea, const std::string& path, const Group& g,
                          const std::vector<Conversion>& conv, int64_t* n, Record& r,
                          std::vector<int64_t>& sums) {
  ECGBENCH_ASSIGN_OR_RETURN(MatV4Matrix m, ReadMatV4(path, "val"));
  const int64_t k = static_cast<int64_t>(g.signals.size());
  if (m.rows != k || (*n != 0 && m.cols != *n)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": matrix 'val' is ", m.rows, " x ", m.cols, " but ", hea,
                                                   " declares ", k, k == 1 ? " signal" : " signals", " x ",
                                                   *n == 0 ? std::string("any number of") : absl::StrCat(*n),
                                                   " samples in this file"));
  }
  *n = m.cols;
  if (*n == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no samples"));
  if (r.samples.empty()) r.samples.resize(h.signals.size() * static_cast<size_t>(*n));
  r.num_samples = *n;
  for (int64_t j = 0; j < k; ++j) {
    const int sig = g.signals[static_cast<size_t>(j)];
    const Conversion& c = conv[static_cast<size_t>(sig)];
    float* out = r.lead(sig);
    int64_t sum = 0;
    for (int64_t t = 0; t < *n; ++t) {
      const double d = m.at(j, t);
      if (std::isfinite(d)) sum += static_cast<int64_t>(std::llround(d));
      out[t] = static_cast<float>((d - c.baseline) * c.scale);
    }
    sums[static_cast<size_t>(sig)] += sum;
  }
  return absl::OkStatus();
}

}  // namespace

double WfdbUnitsToMillivolts(const std::string& units) {
  if (absl::EqualsIgnoreCase(units, "mV")) return 1;
  if (units == "uV" || units == "UV" || units == "\xC2\xB5V" || units == "\xCE\xBCV") return 1e-3;
  if (units == "V") return 1e3;
  return 0;
}

absl::StatusOr<WfdbHeader> ReadWfdbHeaderFile(const std::string& header_path) {
  const std::string hea = WithHea(header_path);
  ECGBENCH_ASSIGN_OR_RETURN(std::string text, ReadFile(hea));
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(hea, ": empty file"));
  return ParseWfdbHeader(text, hea);
}

absl::StatusOr<Record> ReadWfdbRecord(const std::string& header_path, const WfdbReadOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(WfdbHeader h, ReadWfdbHeaderFile(header_path));
  return ReadWfdbSignals(h, WithHea(header_path), options);
}

absl::StatusOr<Record> ReadWfdbSignals(const WfdbHeader& h, const std::string& hea, const WfdbReadOptions& options) {
  const size_t nsig = h.signals.size();
  if (nsig == 0) return absl::InvalidArgumentError(absl::StrCat(hea, ": record has no signals"));
  if (h.num_samples > kMaxSamples) {
    return absl::InvalidArgumentError(absl::StrCat(hea, ": ", h.num_samples, " samples per signal is implausible"));
  }
  std::vector<Group> groups;
  std::vector<Conversion> conv(nsig);
  for (size_t i = 0; i < nsig; ++i) {
    const WfdbSignalSpec& s = h.signals[i];
    const double to_mv = WfdbUnitsToMillivolts(s.units);
    if (to_mv == 0) {
      return absl::InvalidArgumentError(absl::StrCat(hea, ":", s.line, ": units '", s.units, "' of lead ",
                                                     LeadName(h, static_cast<int>(i)), " are not a voltage"));
    }
    conv[i] = {static_cast<double>(s.baseline), to_mv / s.adc_gain};
    if (s.file_name == "~") {
      return absl::InvalidArgumentError(absl::StrCat(hea, ":", s.line, ": null signal files ('~') not supported"));
    }
    Group* g = nullptr;
    for (Group& existing : groups) {
      if (existing.file_name == s.file_name) g = &existing;
    }
    if (g == nullptr) {
      groups.push_back({s.file_name, {}});
      g = &groups.back();
    } else {
      const WfdbSignalSpec& f = h.signals[static_cast<size_t>(g->signals[0])];
      if (f.format != s.format || f.byte_offset != s.byte_offset) {
        return absl::InvalidArgumentError(absl::StrCat(
            hea, ":", s.line, ": signal ", i + 1, " (", LeadName(h, static_cast<int>(i)), ") is stored in '",
            s.file_name, "' in format ", s.format, "+", s.byte_offset, ", but signal ", g->signals[0] + 1,
            " in the same file uses ", f.format, "+", f.byte_offset));
      }
    }
    g->signals.push_back(static_cast<int>(i));
  }

  Record r;
  r.id = h.record_name;
  r.path = hea;
  r.source = "wfdb";
  r.sampling_rate_hz = h.sampling_frequency;
  for (size_t i = 0; i < nsig; ++i) r.leads.push_back(LeadName(h, static_cast<int>(i)));
  int64_t n = h.num_samples;
  std::vector<int64_t> sums(nsig, 0);
  const std::string dir = DirOf(hea);
  for (const Group& g : groups) {
    const std::string path = dir + g.file_name;
    if (absl::EndsWithIgnoreCase(g.file_name, ".mat")) {
      ECGBENCH_RETURN_IF_ERROR(ReadMatGroup(h, hea, path, g, conv, &n, r, sums));
    } else {
      ECGBENCH_RETURN_IF_ERROR(ReadDatGroup(h, path, g, conv, &n, r, sums));
    }
  }
  if (options.verify_checksums) {
    for (size_t i = 0; i < nsig; ++i) {
      const WfdbSignalSpec& s = h.signals[i];
      if (!s.checksum.has_value()) continue;
      const int got = static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint64_t>(sums[i]) & 0xFFFF));
      if (got != *s.checksum) {
        return absl::InvalidArgumentError(absl::StrCat(hea, ":", s.line, ": checksum mismatch for lead ",
                                                       LeadName(h, static_cast<int>(i)), ": header says ",
                                                       *s.checksum, ", data gives ", got));
      }
    }
  }
  if (!h.base_time.empty()) r.extra["base_time"] = h.base_time;
  if (!h.base_date.empty()) r.extra["base_date"] = h.base_date;
  ApplyWfdbComments(h, r);
  return r;
}

void ApplyWfdbComments(const WfdbHeader& h, Record& r) {
  for (const auto& [key, value] : h.comment_fields) {
    if (absl::EqualsIgnoreCase(key, "Age")) {
      double age = 0;  // "63", "63.0"; "NaN" and "Unknown" leave it unset
      if (absl::SimpleAtod(value, &age) && std::isfinite(age) && age >= 0 && age < 200) {
        r.age = static_cast<int>(std::lround(age));
      }
    } else if (absl::EqualsIgnoreCase(key, "Sex")) {
      const std::string v = absl::AsciiStrToLower(value);
      if (v == "male" || v == "m") r.sex = "M";
      if (v == "female" || v == "f") r.sex = "F";
    } else if (absl::EqualsIgnoreCase(key, "Dx")) {
      for (absl::string_view code : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        r.dx_codes.emplace_back(absl::StripAsciiWhitespace(code));
      }
    } else {
      r.extra[key] = value;
    }
  }
}

}  // namespace ecgbench::common::ecg
