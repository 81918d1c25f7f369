// NumPy .npy files, format versions 1.0 and 2.0 (3.0 is read too: same layout, UTF-8 header):
// the magic "\x93NUMPY", the version, a little-endian header length (2 bytes in v1, 4 in v2/v3), a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (12, 5000), } padded with
// spaces and '\n' to a multiple of 64 bytes, then the raw data in C order.
// Supported dtypes: '<f4', '<f8', '<i2', '<u2' ('|' or '=' byte orders accepted where they mean
// little-endian on this machine); fortran_order must be False. Used by `ecgbench data convert`
// (.npy [leads x samples]), the dataset export, and for MIT-BIH record 208 as scipy ships it
// (ecg.npy inside scipy/misc/ecg.dat: '<u2', shape (108000,)).
//
// Errors are InvalidArgument naming the file and the reason ("x.npy: dtype '>f4' not supported
// (supported: <f4, <f8, <i2, <u2)", "x.npy: truncated: shape (12, 5000) of <f4 needs 240000 data
// bytes, found 1000", "x.npy: not a .npy file (bad magic)"); NotFound for a missing file.
// Thread-safe, except NpyWriter (one per thread).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg {

enum class NpyDtype { kFloat32, kFloat64, kInt16, kUint16 };

// "<f4", "<f8", "<i2", "<u2"; element sizes 4, 8, 2, 2.
const char* NpyDescr(NpyDtype dtype);
int NpyElementSize(NpyDtype dtype);

struct NpyHeader {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<int64_t> shape;  // () for a scalar
  size_t data_offset = 0;      // bytes before the data
  int64_t num_elements() const;
};

// Parses the header at the start of `bytes` (at least the magic, version, length and dict).
absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view bytes, const std::string& name);

// The complete header (magic .. '\n') numpy would write for `shape` (v1.0, or v2.0 when the dict
// does not fit in 65535 bytes), total length a multiple of 64.
std::string FormatNpyHeader(NpyDtype dtype, const std::vector<int64_t>& shape);

// An array read into float (float64 and integer values are converted; int16/uint16 exactly).
struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat32;  // dtype in the file
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};
absl::StatusOr<NpyArray> ReadNpy(const std::string& path);
absl::StatusOr<NpyArray> ParseNpy(std::string_view bytes, const std::string& name);

// Writes a whole array; `data` holds the product of `shape` elements. Temp file + rename.
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const float* data);
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const double* data);
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const int16_t* data);
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const uint16_t* data);

// A record from an array [leads x samples] (or [samples] for one lead) at `sampling_rate_hz`;
// values taken as mV. Leads are named `lead_names` when given (one per row), else the standard
// names for 12 rows, else "lead1".."leadN". id = file stem, source "npy".
absl::StatusOr<Record> ReadNpyRecord(const std::string& path, double sampling_rate_hz,
                                     const std::vector<std::string>& lead_names = {});

// Streams a large float32 array to disk (e.g. the export's [N x 12 x L] segments): the shape is
// fixed up front, data is appended in C order, Finish() checks the count and renames into place.
class NpyWriter {
 public:
  static absl::StatusOr<NpyWriter> Create(const std::string& path, const std::vector<int64_t>& shape);
  NpyWriter(NpyWriter&& other) noexcept;
  NpyWriter& operator=(NpyWriter&& other) noexcept;
  ~NpyWriter();  // an unfinished file is removed

  absl::Status Append(const float* data, int64_t count);
  absl::Status Finish();

 private:
  NpyWriter() = default;
  std::string path_;
  std::string staging_;
  std::FILE* file_ = nullptr;
  int64_t expected_ = 0;
  int64_t written_ = 0;
};

}  // namespace ecgbench::common::ecg
