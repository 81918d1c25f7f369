// WFDB .hea parser and formatter (header(5)): whitespace-separated positional fields, optional
// trailing fields, "gain(baseline)/units" and "format[xspf][:skew][+offset]" sub-syntax.
#include "common/ecg/formats/wfdb_header.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ecg/formats/utf8.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

constexpr int kMaxSignals = 4096;

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Whitespace-separated tokens, each remembering where it starts (for the free-text description).
struct Token {
  std::string_view text;
  size_t offset;
};

std::vector<Token> Tokenize(std::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i >= line.size()) break;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    out.push_back({line.substr(start, i - start), start});
  }
  return out;
}

bool ParseInt(std::string_view s, int* out) { return !s.empty() && absl::SimpleAtoi(Absl(s), out); }
bool ParseInt64(std::string_view s, int64_t* out) { return !s.empty() && absl::SimpleAtoi(Absl(s), out); }
bool ParseDouble(std::string_view s, double* out) {
  return !s.empty() && absl::SimpleAtod(Absl(s), out) && std::isfinite(*out);
}

// Shortest decimal text that parses back to exactly `v` ("500", not "5e+02").
std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

bool IsKnownWfdbFormat(int f) {
  switch (f) {
    case 0: case 8: case 16: case 24: case 32: case 61: case 80: case 160:
    case 212: case 310: case 311: case 508: case 516: case 524:
      return true;
    default:
      return false;
  }
}

// A signal file name must stay inside the header's directory: not absolute, no ".." component.
bool EscapesDirectory(std::string_view file) {
  if (!file.empty() && file[0] == '/') return true;
  for (std::string_view rest = file; !rest.empty();) {
    const size_t slash = rest.find('/');
    if (rest.substr(0, slash) == "..") return true;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return false;
}

class Parser {
 public:
  explicit Parser(const std::string& name) : name_(name) {}

  absl::Status Error(int line, const std::string& reason) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", reason));
  }

  absl::Status ParseRecordLine(const std::vector<Token>& t, int line, WfdbHeader* h, int* nsig) {
    std::string_view name = t[0].text;
    if (const size_t slash = name.find('/'); slash != std::string_view::npos) {
      return Error(line, absl::StrCat("multi-segment records are not supported (record '",
                                      std::string(name), "')"));
    }
    h->record_name = std::string(name);
    if (t.size() < 2) return Error(line, "record line has no number of signals");
    if (!ParseInt(t[1].text, nsig) || *nsig < 0) {
      return Error(line, absl::StrCat("bad number of signals '", std::string(t[1].text), "'"));
    }
    if (*nsig == 0) return Error(line, "record has no signals");
    if (*nsig > kMaxSignals) return Error(line, absl::StrCat(*nsig, " signals (at most ", kMaxSignals, ")"));
    if (t.size() > 2) {
      std::string_view fs = t[2].text;
      std::string_view counter;
      if (const size_t slash = fs.find('/'); slash != std::string_view::npos) {
        counter = fs.substr(slash + 1);
        fs = fs.substr(0, slash);
        if (const size_t paren = counter.find('('); paren != std::string_view::npos) {
          counter = counter.substr(0, paren);
        }
      }
      if (!ParseDouble(fs, &h->sampling_frequency) || h->sampling_frequency <= 0) {
        return Error(line, absl::StrCat("bad sampling frequency '", std::string(t[2].text), "'"));
      }
      if (!counter.empty() && (!ParseDouble(counter, &h->counter_frequency) || h->counter_frequency <= 0)) {
        return Error(line, absl::StrCat("bad counter frequency '", std::string(t[2].text), "'"));
      }
    }
    if (t.size() > 3 && (!ParseInt64(t[3].text, &h->num_samples) || h->num_samples < 0)) {
      return Error(line, absl::StrCat("bad number of samples '", std::string(t[3].text), "'"));
    }
    if (t.size() > 4) h->base_time = std::string(t[4].text);
    if (t.size() > 5) h->base_date = std::string(t[5].text);
    if (t.size() > 6) return Error(line, absl::StrCat("unexpected '", std::string(t[6].text), "' on the record line"));
    return absl::OkStatus();
  }

  absl::Status ParseFormat(std::string_view spec, int line, WfdbSignalSpec* s) {
    size_t i = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') ++i;
    if (!ParseInt(spec.substr(0, i), &s->format)) {
      return Error(line, absl::StrCat("bad format '", std::string(spec), "'"));
    }
    std::string_view rest = spec.substr(i);
    while (!rest.empty()) {
      const char tag = rest[0];
      size_t j = 1;
      while (j < rest.size() && rest[j] >= '0' && rest[j] <= '9') ++j;
      int64_t value = 0;
      if ((tag != 'x' && tag != ':' && tag != '+') || !ParseInt64(rest.substr(1, j - 1), &value)) {
        return Error(line, absl::StrCat("bad format '", std::string(spec), "'"));
      }
      rest = rest.substr(j);
      if (tag == 'x' && value != 1) return Error(line, absl::StrCat(value, " samples per frame not supported"));
      if (tag == ':' && value != 0) return Error(line, "signal skew not supported");
      if (tag == '+') s->byte_offset = value;
    }
    if (!IsSupportedWfdbFormat(s->format)) {
      if (IsKnownWfdbFormat(s->format)) {
        return Error(line, absl::StrCat("format ", s->format, " not supported (supported: 16, 212, 24)"));
      }
      return Error(line, absl::StrCat("unknown format code ", s->format));
    }
    return absl::OkStatus();
  }

  absl::Status ParseGain(std::string_view spec, int line, WfdbSignalSpec* s, bool* has_baseline) {
    std::string_view gain = spec;
    if (const size_t slash = gain.find('/'); slash != std::string_view::npos) {
      s->units = std::string(gain.substr(slash + 1));
      gain = gain.substr(0, slash);
      if (s->units.empty()) return Error(line, absl::StrCat("empty units in '", std::string(spec), "'"));
    }
    if (const size_t paren = gain.find('('); paren != std::string_view::npos) {
      if (gain.back() != ')' || !ParseInt(gain.substr(paren + 1, gain.size() - paren - 2), &s->baseline)) {
        return Error(line, absl::StrCat("bad baseline in '", std::string(spec), "'"));
      }
      *has_baseline = true;
      gain = gain.substr(0, paren);
    }
    if (!ParseDouble(gain, &s->adc_gain)) return Error(line, absl::StrCat("bad gain '", std::string(spec), "'"));
    if (s->adc_gain == 0) s->adc_gain = kWfdbDefaultGain;
    return absl::OkStatus();
  }

  absl::Status ParseSignalLine(std::string_view text, const std::vector<Token>& t, int line, WfdbSignalSpec* s) {
    s->line = line;
    s->file_name = std::string(t[0].text);
    if (EscapesDirectory(s->file_name)) {
      return Error(line, absl::StrCat("signal file '", s->file_name, "' is outside the header's directory"));
    }
    if (t.size() < 2) return Error(line, "signal line has no format");
    ECGBENCH_RETURN_IF_ERROR(ParseFormat(t[1].text, line, s));
    bool has_baseline = false, has_initial = false;
    if (t.size() > 2) ECGBENCH_RETURN_IF_ERROR(ParseGain(t[2].text, line, s, &has_baseline));
    struct IntField {
      const char* what;
      int* out;
    };
    const IntField ints[] = {{"ADC resolution", &s->adc_resolution},
                             {"ADC zero", &s->adc_zero},
                             {"initial value", &s->initial_value}};
    for (size_t k = 0; k < 3 && 3 + k < t.size(); ++k) {
      if (!ParseInt(t[3 + k].text, ints[k].out)) {
        return Error(line, absl::StrCat("bad ", ints[k].what, " '", std::string(t[3 + k].text), "'"));
      }
      if (k == 2) has_initial = true;
    }
    if (t.size() > 6) {
      int sum = 0;
      if (!ParseInt(t[6].text, &sum) || sum < -32768 || sum > 65535) {
        return Error(line, absl::StrCat("bad checksum '", std::string(t[6].text), "'"));
      }
      s->checksum = static_cast<int16_t>(static_cast<uint16_t>(sum & 0xFFFF));
    }
    if (t.size() > 7 && (!ParseInt(t[7].text, &s->block_size) || s->block_size < 0)) {
      return Error(line, absl::StrCat("bad block size '", std::string(t[7].text), "'"));
    }
    if (t.size() > 8) s->description = std::string(Trim(text.substr(t[8].offset)));
    if (!has_baseline) s->baseline = s->adc_zero;
    if (!has_initial) s->initial_value = s->adc_zero;
    return absl::OkStatus();
  }

 private:
  const std::string& name_;
};

}  // namespace

bool IsSupportedWfdbFormat(int format) { return format == 16 || format == 212 || format == 24; }

int64_t WfdbBytesForSamples(int format, int64_t n) {
  switch (format) {
    case 212: return (3 * n + 1) / 2;
    case 24: return 3 * n;
    default: return 2 * n;
  }
}

const std::string* WfdbHeader::CommentField(std::string_view key) const {
  for (const auto& [k, v] : comment_fields) {
    if (absl::EqualsIgnoreCase(k, Absl(key))) return &v;
  }
  return nullptr;
}

absl::StatusOr<WfdbHeader> ParseWfdbHeader(std::string_view text, const std::string& name) {
  if (const size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    int line = 1;
    for (size_t i = 0; i < bad; ++i) line += text[i] == '\n';
    return absl::InvalidArgumentError(absl::StrCat(name, ":", line, ": invalid UTF-8"));
  }
  Parser parser(name);
  WfdbHeader h;
  int nsig = -1;
  int line = 0;
  int last_line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view raw = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line;
    std::string_view body = Trim(raw);
    if (body.empty()) continue;
    if (body[0] == '#') {
      std::string_view c = Trim(body.substr(1));
      h.comments.emplace_back(c);
      const size_t colon = c.find(':');
      if (colon != std::string_view::npos && colon > 0) {
        std::string_view key = Trim(c.substr(0, colon));
        if (!key.empty()) h.comment_fields.emplace_back(std::string(key), std::string(Trim(c.substr(colon + 1))));
      }
      continue;
    }
    if (body.find('\0') != std::string_view::npos) return parser.Error(line, "NUL byte");
    std::vector<Token> tokens = Tokenize(body);
    if (nsig < 0) {
      ECGBENCH_RETURN_IF_ERROR(parser.ParseRecordLine(tokens, line, &h, &nsig));
    } else {
      if (static_cast<int>(h.signals.size()) == nsig) {
        return parser.Error(line, absl::StrCat("record line declares ", nsig, nsig == 1 ? " signal" : " signals",
                                                ", found more signal lines"));
      }
      h.signals.emplace_back();
      ECGBENCH_RETURN_IF_ERROR(parser.ParseSignalLine(body, tokens, line, &h.signals.back()));
    }
    last_line = line;
  }
  if (nsig < 0) return absl::InvalidArgumentError(absl::StrCat(name, ": empty header (no record line)"));
  if (static_cast<int>(h.signals.size()) != nsig) {
    return parser.Error(last_line, absl::StrCat("record line declares ", nsig, nsig == 1 ? " signal" : " signals",
                                                ", found ", h.signals.size(),
                                                h.signals.size() == 1 ? " signal line" : " signal lines"));
  }
  return h;
}

std::string FormatWfdbHeader(const WfdbHeader& h) {
  std::string out = absl::StrCat(h.record_name, " ", h.signals.size(), " ", FormatNumber(h.sampling_frequency));
  if (h.counter_frequency > 0) absl::StrAppend(&out, "/", FormatNumber(h.counter_frequency));
  absl::StrAppend(&out, " ", h.num_samples);
  if (!h.base_time.empty()) {
    absl::StrAppend(&out, " ", h.base_time);
    if (!h.base_date.empty()) absl::StrAppend(&out, " ", h.base_date);
  }
  out.push_back('\n');
  for (const WfdbSignalSpec& s : h.signals) {
    absl::StrAppend(&out, s.file_name, " ", s.format);
    if (s.byte_offset != 0) absl::StrAppend(&out, "+", s.byte_offset);
    absl::StrAppend(&out, " ", FormatNumber(s.adc_gain), "(", s.baseline, ")/", s.units, " ", s.adc_resolution,
                    " ", s.adc_zero, " ", s.initial_value);
    if (s.checksum.has_value() || s.block_size != 0 || !s.description.empty()) {
      absl::StrAppend(&out, " ", s.checksum.value_or(0), " ", s.block_size);
      if (!s.description.empty()) absl::StrAppend(&out, " ", s.description);
    }
    out.push_back('\n');
  }
  for (const std::string& c : h.comments) absl::StrAppend(&out, "#", c, "\n");
  return out;
}

}  // namespace ecgbench::common::ecg
