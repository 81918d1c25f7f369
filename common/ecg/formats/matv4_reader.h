// MATLAB Level 4 .mat files, as PhysioNet/CinC 2020 distributes CPSC 2018 and Chapman-Shaoxing-
// Ningbo (CSN): `<rec>.mat` holding one matrix 'val' [12 x N] of ADC values (int16 or double) next
// to `<rec>.hea` giving gains, baselines, lead names and "#Dx:" codes.
//
// A v4 file is a sequence of matrices, each: a 20-byte header of five int32 (type = MOPT,
// mrows, ncols, imagf, namlen), the NUL-terminated name (namlen bytes), then the real part in
// column-major order (then the imaginary part when imagf). M = 0 little-endian or 1 big-endian
// IEEE; P = 0 double, 1 float, 2 int32, 3 int16, 4 uint16, 5 uint8; T = 0 (full numeric matrix).
//
// Errors are InvalidArgument naming the file and the reason ("A0001.mat: truncated: matrix 'val'
// needs 120000 bytes of data, found 100", "A0001.mat: no matrix named 'val'",
// "A0001.mat: matrix 'val' is complex"); NotFound when the file does not exist.
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg {

struct MatV4Matrix {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> data;  // rows * cols values, column-major: (r, c) is data[c * rows + r]
  double at(int64_t r, int64_t c) const { return data[static_cast<size_t>(c * rows + r)]; }
};

// The first matrix called `name` in the v4 file at `path`.
absl::StatusOr<MatV4Matrix> ReadMatV4(const std::string& path, std::string_view name = "val");

// Same, from the file's bytes; `file_name` appears in messages.
absl::StatusOr<MatV4Matrix> ParseMatV4(std::string_view bytes, const std::string& file_name,
                                       std::string_view name = "val");

// A CPSC/CSN record: `mat_path` ("dir/A0001.mat", or without extension) with its sibling .hea;
// the same as ReadWfdbRecord on the .hea, whose signal lines name the .mat file.
absl::StatusOr<Record> ReadMatV4Record(const std::string& mat_path);

}  // namespace ecgbench::common::ecg
