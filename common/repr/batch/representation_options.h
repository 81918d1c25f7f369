// RepresentationOptions: everything a RepresentationBuilder needs to turn a stored segment into a
// model input, as one value: the kind, the normalizer, the perturbation and its seed, the vision
// processor settings (stacked_signal, image), the image layout and augmentation (image), and the
// ECG-Byte tokenizer with an optional truncation (token).
//
// ParseRepresentationOptions reads the spec's `representation` section as the coordinator puts it
// in stage params (common/spec/spec_json.cc ToJson(RepresentationSpec); docs/spec.md, section
// representation); absent keys take the spec defaults. Fields read: kind, normalization, perturb,
// encoder.name / encoder.path (stacked_signal, image), image.layout / image.augment (image),
// ecg_byte.tokenizer (token). Files come from RepresentationArtifacts. Not in the representation
// section, so set by the caller after parsing: seed (train.seed), max_tokens, sampling_rate_hz
// (the segment store's rate).
//
// Plain copyable value; the tokenizer is shared (immutable, thread-safe). Thread-safe to read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"
#include "common/repr/image/ecg_plot.h"
#include "common/repr/signal/normalize.h"
#include "common/repr/signal/perturb.h"
#include "common/repr/signal/vision_config.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {

enum class RepresentationKind { kSignal, kStackedSignal, kImage, kToken, kFeatures };

// "signal" | "stacked_signal" | "image" | "token" | "features"; InvalidArgument listing them
// otherwise.
absl::StatusOr<RepresentationKind> ParseRepresentationKind(std::string_view name);
std::string_view RepresentationKindName(RepresentationKind kind);

struct RepresentationOptions {
  RepresentationKind kind = RepresentationKind::kSignal;
  Normalizer normalizer = Normalizer::MinMax();
  // kind signal: per-lead z-score (zscore.h) instead of `normalizer` (spec normalization: zscore).
  bool zscore = false;
  Perturbation perturbation = Perturbation::kNone;
  uint64_t seed = 0;              // with (sample index, epoch): all randomness of a sample
  double sampling_rate_hz = 250;  // of the segments (the image's time axis)
  VisionProcessorConfig vision;   // stacked_signal, image
  EcgLayout image_layout = EcgLayout::k2x6;  // image
  bool augment = false;                      // image: imgaug-like augmentation (image_augment.h)
  std::shared_ptr<const EcgByteTokenizer> tokenizer;  // token (required)
  int64_t max_tokens = 0;  // token: keep the first max_tokens ids; 0 keeps all

  // InvalidArgument naming the field: token without a tokenizer, max_tokens < 0, a sampling rate
  // that is not finite and positive.
  absl::Status Validate() const;
};

// Files the representation needs that the representation section does not hold (or that a stage
// produced): empty strings mean "not given".
struct RepresentationArtifacts {
  // kind token: the ECG-Byte tokenizer file (tokenizer_file.h); overrides ecg_byte.tokenizer. One
  // of the two is required.
  std::string tokenizer_path;
  // normalization percentile: the dataset percentiles (percentile_stats.h); required then.
  std::string percentiles_path;
  // stacked_signal / image: a preprocessor_config.json. Empty: <encoder.path>/preprocessor_config.json
  // when encoder.path is a directory holding one, else the preset of encoder.name (clip|siglip|vit).
  std::string vision_config_path;
};

// Parses `representation` (a JSON object). Errors are InvalidArgument naming the field, e.g.
// "representation.perturb: unknown perturbation 'x' (...)", "representation.image.augment: expected
// a boolean, got \"yes\""; file errors keep the loader's message (which names the file) behind the
// field that needed it: "representation.ecg_byte.tokenizer: ...".
absl::StatusOr<RepresentationOptions> ParseRepresentationOptions(const nlohmann::json& representation,
                                                                 const RepresentationArtifacts& artifacts);

}  // namespace ecgbench::common::repr
