// MATLAB Level 4 reader: walks the matrices of a .mat file and converts the one asked for to
// double, column-major.
#include "common/ecg/formats/matv4_reader.h"

#include <cstring>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

constexpr int64_t kMaxNameLength = 4096;

uint32_t Load32(const uint8_t* p, bool big_endian) {
  return big_endian ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                    : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
}

int ElementSize(int precision) {
  static constexpr int kSizes[] = {8, 4, 4, 2, 2, 1};
  return kSizes[precision];
}

// Element i of `precision` (P digit) stored at p, converted to double.
template <bool kBigEndian>
double LoadElement(const uint8_t* p, int precision) {
  uint8_t b[8] = {};
  const int n = ElementSize(precision);
  for (int i = 0; i < n; ++i) b[i] = kBigEndian ? p[n - 1 - i] : p[i];
  switch (precision) {
    case 0: { double v; std::memcpy(&v, b, 8); return v; }
    case 1: { float v; std::memcpy(&v, b, 4); return v; }
    case 2: { int32_t v; std::memcpy(&v, b, 4); return v; }
    case 3: { int16_t v; std::memcpy(&v, b, 2); return v; }
    case 4: { uint16_t v; std::memcpy(&v, b, 2); return v; }
    default: return b[0];
  }
}

}  // namespace

absl::StatusOr<MatV4Matrix> ParseMatV4(std::string_view bytes, const std::string& file, std::string_view want) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(file, ": empty file"));
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  const int64_t size = static_cast<int64_t>(bytes.size());
  int64_t pos = 0;
  while (pos < size) {
    if (size - pos < 20) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": truncated matrix header at byte ", pos));
    }
    const uint8_t* h = base + pos;
    bool big = false;
    int64_t type = static_cast<int32_t>(Load32(h, false));
    if (type < 0 || type >= 1000) {
      big = true;
      type = static_cast<int32_t>(Load32(h, true));
      if (type < 1000 || type >= 2000) {
        return absl::InvalidArgumentError(absl::StrCat(file, ": not a MATLAB v4 file (bad type field at byte ",
                                                       pos, ")"));
      }
    }
    const int64_t rows = static_cast<int32_t>(Load32(h + 4, big));
    const int64_t cols = static_cast<int32_t>(Load32(h + 8, big));
    const int64_t imagf = static_cast<int32_t>(Load32(h + 12, big));
    const int64_t namlen = static_cast<int32_t>(Load32(h + 16, big));
    const int o = static_cast<int>(type / 100 % 10), p = static_cast<int>(type / 10 % 10);
    const int t = static_cast<int>(type % 10);
    if (o != 0 || p > 5 || t > 2 || rows < 0 || cols < 0 || (imagf != 0 && imagf != 1) || namlen < 1 ||
        namlen > kMaxNameLength) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": not a MATLAB v4 file (bad matrix header at byte ",
                                                     pos, ")"));
    }
    pos += 20;
    if (size - pos < namlen) return absl::InvalidArgumentError(absl::StrCat(file, ": truncated matrix name"));
    const char* name_begin = bytes.data() + pos;
    const std::string name(name_begin, strnlen(name_begin, static_cast<size_t>(namlen)));
    pos += namlen;
    const int64_t elem = ElementSize(p);
    const int64_t parts = imagf ? 2 : 1;
    if (rows > 0 && cols > std::numeric_limits<int64_t>::max() / 16 / rows) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": matrix '", name, "' is too large (", rows, " x ",
                                                     cols, ")"));
    }
    const int64_t need = rows * cols * elem * parts;
    if (size - pos < need) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": truncated: matrix '", name, "' needs ", need,
                                                     " bytes of data, found ", size - pos));
    }
    if (name == want) {
      if (imagf) return absl::InvalidArgumentError(absl::StrCat(file, ": matrix '", name, "' is complex"));
      if (t != 0) {
        return absl::InvalidArgumentError(absl::StrCat(file, ": matrix '", name, "' is not a full numeric matrix"));
      }
      MatV4Matrix m;
      m.name = name;
      m.rows = rows;
      m.cols = cols;
      m.data.resize(static_cast<size_t>(rows * cols));
      const uint8_t* d = base + pos;
      for (size_t i = 0; i < m.data.size(); ++i, d += elem) {
        m.data[i] = big ? LoadElement<true>(d, p) : LoadElement<false>(d, p);
      }
      return m;
    }
    pos += need;
  }
  return absl::InvalidArgumentError(absl::StrCat(file, ": no matrix named '", std::string(want), "'"));
}

absl::StatusOr<MatV4Matrix> ReadMatV4(const std::string& path, std::string_view name) {
  ECGBENCH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParseMatV4(bytes, path, name);
}

absl::StatusOr<Record> ReadMatV4Record(const std::string& mat_path) {
  std::string stem = mat_path;
  if (absl::EndsWith(stem, ".mat")) stem.resize(stem.size() - 4);
  return ReadWfdbRecord(stem + ".hea");
}

}  // namespace ecgbench::common::ecg
