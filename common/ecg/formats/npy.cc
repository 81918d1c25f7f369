// .npy reader/writer: a small parser for the header's Python dict literal, raw little-endian data.
#include "common/ecg/formats/npy.h"

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/formats/file_io.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .npy code assumes a little-endian host");

namespace ecgbench::common::ecg {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr int kGrowthAxisMaxDigits = 21;  // numpy >= 1.23 leaves room to grow the first axis

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&s, i ? ", " : "", shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Recursive-descent reader of the header dict {'descr': ..., 'fortran_order': ..., 'shape': (...)}.
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  absl::Status Parse(NpyHeader* h) {
    bool have_descr = false, have_order = false, have_shape = false;
    Skip();
    if (!Eat('{')) return Bad("expected '{'");
    for (;;) {
      Skip();
      if (Eat('}')) break;
      std::string key;
      ECGBENCH_RETURN_IF_ERROR(String(&key));
      Skip();
      if (!Eat(':')) return Bad("expected ':'");
      Skip();
      if (key == "descr") {
        std::string descr;
        ECGBENCH_RETURN_IF_ERROR(String(&descr));
        ECGBENCH_RETURN_IF_ERROR(Dtype(descr, &h->dtype));
        have_descr = true;
      } else if (key == "fortran_order") {
        if (Word("True")) {
          return absl::InvalidArgumentError(absl::StrCat(name_, ": fortran_order True not supported (C order only)"));
        }
        if (!Word("False")) return Bad("fortran_order is not True or False");
        have_order = true;
      } else if (key == "shape") {
        ECGBENCH_RETURN_IF_ERROR(Shape(&h->shape));
        have_shape = true;
      } else {
        return Bad(absl::StrCat("unexpected key '", key, "'"));
      }
      Skip();
      if (Eat(',')) continue;
      Skip();
      if (Eat('}')) break;
      return Bad("expected ',' or '}'");
    }
    if (!have_descr || !have_order || !have_shape) return Bad("the header lacks descr, fortran_order or shape");
    return absl::OkStatus();
  }

 private:
  absl::Status Bad(const std::string& why) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ": bad .npy header: ", why));
  }
  void Skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  absl::Status String(std::string* out) {
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return Bad("expected a string");
    const char q = s_[i_++];
    const size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) return Bad("unterminated string");
    out->assign(s_.substr(i_, end - i_));
    i_ = end + 1;
    return absl::OkStatus();
  }
  absl::Status Shape(std::vector<int64_t>* shape) {
    if (!Eat('(')) return Bad("shape is not a tuple");
    for (;;) {
      Skip();
      if (Eat(')')) return absl::OkStatus();
      int64_t v = 0;
      size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) return Bad("dimension too large");
        v = v * 10 + (s_[i_++] - '0');
        ++digits;
      }
      if (digits == 0) return Bad("shape has a non-integer dimension");
      Eat('L');  // Python 2 long literals
      shape->push_back(v);
      if (shape->size() > 32) return Bad("more than 32 dimensions");
      Skip();
      if (Eat(',')) continue;
      Skip();
      if (Eat(')')) return absl::OkStatus();
      return Bad("expected ',' or ')' in shape");
    }
  }
  absl::Status Dtype(const std::string& d, NpyDtype* out) const {
    if (d.size() == 3 && (d[0] == '<' || d[0] == '=' || d[0] == '|')) {
      const std::string t = d.substr(1);
      if (t == "f4") { *out = NpyDtype::kFloat32; return absl::OkStatus(); }
      if (t == "f8") { *out = NpyDtype::kFloat64; return absl::OkStatus(); }
      if (t == "i2") { *out = NpyDtype::kInt16; return absl::OkStatus(); }
      if (t == "u2") { *out = NpyDtype::kUint16; return absl::OkStatus(); }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ": dtype '", d, "' not supported (supported: <f4, <f8, <i2, <u2)"));
  }

  std::string_view s_;
  const std::string& name_;
  size_t i_ = 0;
};

template <typename T>
void ConvertInto(const char* p, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

template <typename T>
absl::Status WriteTyped(const std::string& path, const std::vector<int64_t>& shape, const T* data, NpyDtype dtype) {
  std::string content = FormatNpyHeader(dtype, shape);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  content.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n) * sizeof(T));
  return WriteWholeFile(path, content, /*durable=*/false);
}

}  // namespace

const char* NpyDescr(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kFloat64: return "<f8";
    case NpyDtype::kInt16: return "<i2";
    case NpyDtype::kUint16: return "<u2";
    default: return "<f4";
  }
}

int NpyElementSize(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kFloat64: return 8;
    case NpyDtype::kInt16:
    case NpyDtype::kUint16: return 2;
    default: return 4;
  }
}

int64_t NpyHeader::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file"));
  if (bytes.size() < kMagicLen + 4 || bytes.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not a .npy file (bad magic)"));
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t len = 0, offset = 0;
  if (major == 1) {
    len = u[8] | (size_t{u[9]} << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return absl::InvalidArgumentError(absl::StrCat(name, ": truncated .npy header"));
    len = u[8] | (size_t{u[9]} << 8) | (size_t{u[10]} << 16) | (size_t{u[11]} << 24);
    offset = 12;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(name, ": .npy format version ", major, " not supported"));
  }
  if (bytes.size() - offset < len) return absl::InvalidArgumentError(absl::StrCat(name, ": truncated .npy header"));
  NpyHeader h;
  DictParser parser(bytes.substr(offset, len), name);
  ECGBENCH_RETURN_IF_ERROR(parser.Parse(&h));
  int64_t n = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 16 / d) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": shape ", ShapeText(h.shape), " is too large"));
    }
    n *= d;
  }
  h.data_offset = offset + len;
  return h;
}

std::string FormatNpyHeader(NpyDtype dtype, const std::vector<int64_t>& shape) {
  std::string dict = absl::StrCat("{'descr': '", NpyDescr(dtype), "', 'fortran_order': False, 'shape': ",
                                  ShapeText(shape), ", }");
  if (!shape.empty()) {
    const int digits = static_cast<int>(absl::StrCat(shape[0]).size());
    if (digits < kGrowthAxisMaxDigits) dict.append(static_cast<size_t>(kGrowthAxisMaxDigits - digits), ' ');
  }
  size_t prefix = kMagicLen + 2 + 2;
  size_t hlen = dict.size() + 1;
  if (hlen + 64 > 65535) prefix = kMagicLen + 2 + 4;
  const size_t pad = 64 - (prefix + hlen) % 64;
  hlen += pad;
  std::string out(kMagic, kMagicLen);
  out.push_back(static_cast<char>(prefix == 10 ? 1 : 2));
  out.push_back(0);
  const int len_bytes = prefix == 10 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) out.push_back(static_cast<char>((hlen >> (8 * i)) & 0xFF));
  out += dict;
  out.append(pad, ' ');
  out.push_back('\n');
  return out;
}

absl::StatusOr<NpyArray> ParseNpy(std::string_view bytes, const std::string& name) {
  ECGBENCH_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes, name));
  const int64_t n = h.num_elements();
  const int64_t need = n * NpyElementSize(h.dtype);
  const int64_t have = static_cast<int64_t>(bytes.size() - h.data_offset);
  if (have < need) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": truncated: shape ", ShapeText(h.shape), " of ",
                                                   NpyDescr(h.dtype), " needs ", need, " data bytes, found ", have));
  }
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.data.resize(static_cast<size_t>(n));
  const char* p = bytes.data() + h.data_offset;
  switch (h.dtype) {
    case NpyDtype::kFloat32: ConvertInto<float>(p, n, a.data.data()); break;
    case NpyDtype::kFloat64: ConvertInto<double>(p, n, a.data.data()); break;
    case NpyDtype::kInt16: ConvertInto<int16_t>(p, n, a.data.data()); break;
    case NpyDtype::kUint16: ConvertInto<uint16_t>(p, n, a.data.data()); break;
  }
  return a;
}

absl::StatusOr<NpyArray> ReadNpy(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParseNpy(bytes, path);
}

absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  return WriteTyped(path, shape, data, NpyDtype::kFloat32);
}
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const double* data) {
  return WriteTyped(path, shape, data, NpyDtype::kFloat64);
}
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const int16_t* data) {
  return WriteTyped(path, shape, data, NpyDtype::kInt16);
}
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const uint16_t* data) {
  return WriteTyped(path, shape, data, NpyDtype::kUint16);
}

absl::StatusOr<Record> ReadNpyRecord(const std::string& path, double rate, const std::vector<std::string>& names) {
  if (!(rate > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": a sampling rate is needed for a .npy record (got ",
                                                   rate, ")"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(NpyArray a, ReadNpy(path));
  if (a.shape.empty() || a.shape.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": shape ", ShapeText(a.shape),
                                                   " is not [leads x samples] or [samples]"));
  }
  const int64_t leads = a.shape.size() == 2 ? a.shape[0] : 1;
  const int64_t samples = a.shape.back();
  if (a.shape.size() == 2 && a.shape[1] == kNumStandardLeads && a.shape[0] != kNumStandardLeads) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": shape ", ShapeText(a.shape),
                                                   " looks like [samples x leads]; expected [leads x samples]"));
  }
  if (!names.empty() && static_cast<int64_t>(names.size()) != leads) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", leads, " rows but ", names.size(), " lead names"));
  }
  Record r;
  const size_t slash = path.rfind('/');
  r.id = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (r.id.size() > 4 && r.id.compare(r.id.size() - 4, 4, ".npy") == 0) r.id.resize(r.id.size() - 4);
  r.path = path;
  r.source = "npy";
  r.sampling_rate_hz = rate;
  for (int64_t l = 0; l < leads; ++l) {
    if (!names.empty()) {
      r.leads.push_back(names[static_cast<size_t>(l)]);
    } else if (leads == kNumStandardLeads) {
      r.leads.emplace_back(kStandardLeads[static_cast<size_t>(l)]);
    } else {
      r.leads.push_back(absl::StrCat("lead", l + 1));
    }
  }
  r.num_samples = samples;
  r.samples = std::move(a.data);
  ECGBENCH_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<NpyWriter> NpyWriter::Create(const std::string& path, const std::vector<int64_t>& shape) {
  NpyWriter w;
  w.path_ = path;
  w.staging_ = StagingPath(path);
  w.expected_ = 1;
  for (int64_t d : shape) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": negative dimension in shape"));
    w.expected_ *= d;
  }
  w.file_ = std::fopen(w.staging_.c_str(), "wb");
  if (w.file_ == nullptr) {
    return absl::InternalError(absl::StrCat(path, ": cannot create ", w.staging_, ": ", std::strerror(errno)));
  }
  const std::string header = FormatNpyHeader(NpyDtype::kFloat32, shape);
  if (std::fwrite(header.data(), 1, header.size(), w.file_) != header.size()) {
    return absl::InternalError(absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  return w;
}

NpyWriter::NpyWriter(NpyWriter&& o) noexcept { *this = std::move(o); }

NpyWriter& NpyWriter::operator=(NpyWriter&& o) noexcept {
  if (this != &o) {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(staging_.c_str());
    }
    path_ = std::move(o.path_);
    staging_ = std::move(o.staging_);
    file_ = std::exchange(o.file_, nullptr);
    expected_ = o.expected_;
    written_ = o.written_;
  }
  return *this;
}

NpyWriter::~NpyWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(staging_.c_str());
  }
}

absl::Status NpyWriter::Append(const float* data, int64_t count) {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is finished"));
  if (count < 0 || written_ + count > expected_) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": appending ", count, " values to ", written_,
                                                   " exceeds the shape's ", expected_));
  }
  if (std::fwrite(data, sizeof(float), static_cast<size_t>(count), file_) != static_cast<size_t>(count)) {
    return absl::InternalError(absl::StrCat(path_, ": cannot write: ", std::strerror(errno)));
  }
  written_ += count;
  return absl::OkStatus();
}

absl::Status NpyWriter::Finish() {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is finished"));
  if (written_ != expected_) {
    return absl::FailedPreconditionError(absl::StrCat(path_, ": ", written_, " of ", expected_, " values written"));
  }
  const bool closed = std::fclose(std::exchange(file_, nullptr)) == 0;
  if (!closed || std::rename(staging_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(staging_.c_str());
    return absl::InternalError(absl::StrCat(path_, ": cannot finish: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
