// ECG encoder weights as one safetensors file: every parameter and buffer (BatchNorm running
// statistics; not num_batches_tracked) as F32 under its module path (the names of
// docs/encoders-ecg.md, upstream's state-dict names), and the resolved options as "__metadata__"
// entries "ecg_encoder.<field>" so that LoadEcgEncoder can rebuild the module from the file alone.
// Errors name the file, the tensor and both shapes. Thread-safety: none (the module is written).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/nn/ecg_encoders/ecg_encoder.h"

namespace ecgbench::worker::nn {

// The options as metadata entries ("ecg_encoder.kind" -> "st_mem", "ecg_encoder.resnet_blocks" ->
// "3,4,23,3", doubles with 17 significant digits) and back. The reverse fills absent fields with
// the defaults and errors (InvalidArgument naming `source` and the entry) on unparsable values or
// a missing "ecg_encoder.kind"; the result is then resolved like any options.
std::map<std::string, std::string> EcgEncoderMetadata(const EcgEncoderOptions& options);
absl::StatusOr<EcgEncoderOptions> EcgEncoderOptionsFromMetadata(const std::map<std::string, std::string>& metadata,
                                                                const std::string& source);

// Writes `path` atomically (temp file + rename). Parameters are copied off any device.
absl::Status SaveEcgEncoder(EcgEncoder& encoder, const std::string& path);

// Copies the file's tensors into `encoder`'s parameters and buffers: each must be present with its
// exact shape (F32, F16 or BF16 in the file); a tensor the encoder lacks is an error, except
// upstream's unused resnet.linear.{weight,bias} and num_batches_tracked counters. A file whose
// metadata names another kind is an error.
absl::Status LoadEcgEncoderWeights(EcgEncoder& encoder, const std::string& path);

// Creates the encoder the file's metadata describes and loads its weights.
absl::StatusOr<std::shared_ptr<EcgEncoder>> LoadEcgEncoder(const std::string& path);

}  // namespace ecgbench::worker::nn
