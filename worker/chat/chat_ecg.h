// The one ECG a chat is about: a record file read, brought to the 12 standard leads and the ELM's
// rate with the preprocess pipeline's per-record steps (common/ecg/pipeline: harmonise leads, NaN/Inf
// scan, resample), cut into the ELM's segments (common/ecg/dataset/segmenter.h), and the first kept
// segment taken. Also its PNG for people (common/repr/image/ecg_plot.h, upstream's 2x6 figure).
//
// Inputs (by the path's form):
//   WFDB record     a .hea file, its .dat, or the base path without extension
//   .mat            a MATLAB v4 signal file with its sibling .hea (CPSC / CSN)
//   .npy            a float array [12, L] or [L, 12] in mV at ChatEcgOptions::npy_rate_hz
//   FILE.hdf5#ROW   one CODE-15 exam (also .h5)
// Errors (InvalidArgument unless the reader says otherwise, e.g. NotFound) name the path and the
// reason: an unknown file type, an array that is not [12, L] / [L, 12], a record without the 12
// standard leads (listing its leads), a record shorter than one segment, a record whose every
// segment holds NaN/Inf. Torch-free; pure functions apart from file I/O; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::worker::chat {

struct ChatEcgOptions {
  int64_t segment_len = 1250;    // samples per lead of the ELM's segments (> 0)
  double target_rate_hz = 250;   // the pipeline's rate (> 0)
  double npy_rate_hz = 250;      // sampling rate of a .npy input (upstream's demo: 250 Hz)
};

struct ChatEcg {
  std::string path;             // as given
  std::string id;               // the record id (file stem, exam id)
  double rate_hz = 0;           // of `segment`: target_rate_hz
  int64_t length = 0;           // samples per lead of `segment`
  std::vector<float> segment;   // 12 * length mV, lead-major, leads I, II, III, aVR, aVL, aVF, V1..V6
  double input_rate_hz = 0;     // the record's own rate
  int64_t input_samples = 0;    // the record's own samples per lead
};

absl::StatusOr<ChatEcg> LoadChatEcg(const std::string& path, const ChatEcgOptions& options);

// Writes `ecg` as a 2x6 clinical image (PNG) to `png_path`, creating its directory.
absl::Status WriteChatEcgPng(const ChatEcg& ecg, const std::string& png_path);

}  // namespace ecgbench::worker::chat
