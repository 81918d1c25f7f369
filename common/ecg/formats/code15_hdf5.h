// CODE-15% HDF5 files (exams_partN.hdf5): dataset `tracings` float32 [N x 4096 x 12] at 400 Hz,
// each exam zero-padded symmetrically to 4096 samples (a 10 s exam has 4000 samples, 48 zeros on
// each side; a 7 s exam 2800 samples, 648 zeros each side), and `exam_id` int64 [N]. Leads in
// CODE-15 order I, II, III, aVR, aVL, aVF, V1..V6 (= kStandardLeads). Values are taken as mV, as
// upstream ECG-Bench does (no rescaling).
//
// Code15File reads one exam by row with a hyperslab (only that row's bytes are read; the file is
// never loaded whole). Code15Writer writes files in the same layout (for tests and the synthetic
// generator), chunked one exam per chunk.
//
// HDF5 is used through its C API (no exceptions); HDF5's own error printing is switched off
// around each call. Errors name the file (and row): NotFound for a missing file, InvalidArgument
// "x.hdf5: no dataset 'tracings'", "x.hdf5: dataset 'tracings' has shape [10 x 4096 x 8], expected
// [N x L x 12]", "x.hdf5: row 12 out of range (10 exams)", InternalError when HDF5 fails.
// Thread-safety: Debian's libhdf5 is built thread-safe (it serialises calls internally), so a
// Code15File may be read from several threads. Code15Writer is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"

namespace ecgbench::common::ecg {

inline constexpr int64_t kCode15Samples = 4096;
inline constexpr double kCode15RateHz = 400;

// [begin, end): the samples of an exam without the zero padding.
struct Code15ContentRange {
  int64_t begin = 0;
  int64_t end = 0;
};

// Padding rule: p = min(leading, trailing) rows whose 12 values are all exactly 0, content =
// [p, L - p) (CODE-15 pads symmetrically, so a signal that itself starts or ends with zero rows is
// not cut). An all-zero exam gives {0, 0}. `sample_major` is L x leads (the HDF5 row layout).
Code15ContentRange FindCode15Content(const float* sample_major, int64_t length, int leads);

enum class Code15View {
  kRaw,      // all 4096 samples, padding included
  kTrimmed,  // only the content range
};

class Code15File {
 public:
  static absl::StatusOr<std::unique_ptr<Code15File>> Open(const std::string& path);
  ~Code15File();
  Code15File(const Code15File&) = delete;
  Code15File& operator=(const Code15File&) = delete;

  const std::string& path() const { return path_; }
  int64_t num_exams() const { return num_exams_; }
  int64_t samples_per_exam() const { return length_; }

  // The whole `exam_id` dataset (N values; small).
  absl::StatusOr<std::vector<int64_t>> ReadExamIds() const;

  // Exam at `row`: 12 leads I..V6, 400 Hz, id = the exam id, path = file, source "code15",
  // extra["row"], extra["content_begin"], extra["content_end"] (the content range in the raw
  // 4096 samples). kTrimmed on an all-zero exam is InvalidArgument "...: row 3 (exam 17) is all zeros".
  absl::StatusOr<Record> ReadExam(int64_t row, Code15View view = Code15View::kRaw) const;

 private:
  Code15File() = default;
  std::string path_;
  int64_t file_ = -1;  // hid_t values (int64_t in HDF5 1.10)
  int64_t tracings_ = -1;
  int64_t exam_ids_ = -1;
  int64_t num_exams_ = 0;
  int64_t length_ = 0;
};

class Code15Writer {
 public:
  // Creates a file for `num_exams` exams of `samples_per_exam` samples. It is written at a staging
  // path and appears at `path` only on Finish(). Rows never written stay zero with exam_id 0.
  static absl::StatusOr<std::unique_ptr<Code15Writer>> Create(const std::string& path, int64_t num_exams,
                                                               int64_t samples_per_exam = kCode15Samples);
  // Abandons an unfinished file (the staging file is removed).
  ~Code15Writer();
  Code15Writer(const Code15Writer&) = delete;
  Code15Writer& operator=(const Code15Writer&) = delete;

  // Writes `record` (the 12 standard leads in any order or spelling StandardLeadIndex accepts, at
  // 400 Hz, at most samples_per_exam samples) at `row`, centred: floor((L - n) / 2) zeros before.
  absl::Status WriteExam(int64_t row, int64_t exam_id, const Record& record);

  // Closes the file and renames it into place.
  absl::Status Finish();

 private:
  Code15Writer() = default;
  void Close();
  std::string path_;
  std::string staging_;
  int64_t file_ = -1;
  int64_t tracings_ = -1;
  int64_t exam_ids_ = -1;
  int64_t num_exams_ = 0;
  int64_t length_ = 0;
  std::vector<float> row_;  // L x 12 staging buffer, reused
};

}  // namespace ecgbench::common::ecg
