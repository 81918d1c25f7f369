// Rebuilding the encoder of a LLaVA-style export for LoadExportedElm (worker/train/export.h), the
// way the train stage built it (worker/stages/elm_setup.cc):
//   clip | siglip | vit             LoadVisionEncoder(recorded path): a Hugging Face folder; 1 token
//   st_mem | mtae | mlae | merl     LoadEcgEncoder(recorded path) when the file exists, else a fresh
//                                   encoder from the recorded EcgEncoderMetadata ("ecg_encoder.*"
//                                   entries of encoder.config) whose weights the export stores;
//                                   the recorded number of tokens
// Errors: FailedPrecondition naming the export and the encoder when neither a checkpoint nor the
// recorded options can rebuild it; the loaders' errors (naming the file) otherwise.
// Thread-safety: the factory is not thread-safe (it records into *ecg_segment_len).
#pragma once

#include <cstdint>

#include "worker/train/export.h"

namespace ecgbench::worker::chat {

// `ecg_segment_len` (may be null) receives the rebuilt ECG encoder's segment length (samples per
// lead its input must have); it is left alone for vision encoders.
train::ElmEncoderFactory ChatEncoderFactory(int64_t* ecg_segment_len);

}  // namespace ecgbench::worker::chat
