// RepresentationBuilder: the per-kind pipelines from a stored segment to a model input.
#include "common/repr/batch/representation_builder.h"

#include <cmath>

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/signal/stacked.h"
#include "common/repr/signal/zscore.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

absl::Status SamplePrefixed(const absl::Status& status, int64_t sample_index) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat("sample ", sample_index, ": ", status.message()));
}

PerturbSeed SeedOf(const RepresentationOptions& options, int64_t sample_index, int epoch) {
  return PerturbSeed{options.seed, static_cast<uint64_t>(sample_index), static_cast<uint64_t>(epoch)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RepresentationBuilder>> RepresentationBuilder::Create(
    const RepresentationOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(options.Validate());
  std::optional<VisionProcessor> processor;
  if (options.kind == RepresentationKind::kStackedSignal || options.kind == RepresentationKind::kImage) {
    auto created = VisionProcessor::Create(options.vision);
    if (!created.ok()) {
      return absl::Status(created.status().code(), absl::StrCat("vision processor: ", created.status().message()));
    }
    processor.emplace(*std::move(created));
  }
  return std::unique_ptr<RepresentationBuilder>(new RepresentationBuilder(options, std::move(processor)));
}

RepresentationBuilder::RepresentationBuilder(const RepresentationOptions& options,
                                             std::optional<VisionProcessor> processor)
    : options_(options), processor_(std::move(processor)) {
  if (options_.kind == RepresentationKind::kImage) {
    renderer_ = std::make_unique<EcgRenderer>(DefaultEcgPlotOptions(options_.image_layout));
    if (options_.augment) augmenter_ = std::make_unique<ImageAugmenter>();
  }
  if (options_.kind == RepresentationKind::kFeatures) {
    rag::FeatureOptions features;
    features.sampling_rate_hz = options_.sampling_rate_hz;
    features_ = std::make_unique<rag::EcgFeatureExtractor>(features);
    feature_values_.resize(rag::kNumEcgFeatures);
  }
}

RepresentationBuilder::~RepresentationBuilder() = default;

absl::StatusOr<std::vector<int64_t>> RepresentationBuilder::DenseShape(int64_t length) const {
  if (length <= 0 || length > INT_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("segment length must be in 1..", INT_MAX, ", got ", length));
  }
  switch (options_.kind) {
    case RepresentationKind::kSignal:
      return std::vector<int64_t>{kSegmentLeads, length};
    case RepresentationKind::kStackedSignal: {
      ECGBENCH_ASSIGN_OR_RETURN(const auto hw, processor_->OutputSize(kSegmentLeads, static_cast<int>(length)));
      return std::vector<int64_t>{3, hw.first, hw.second};
    }
    case RepresentationKind::kImage: {
      ECGBENCH_ASSIGN_OR_RETURN(
          const EcgPlotGeometry geometry,
          ComputeEcgPlotGeometry(renderer_->options(), length, options_.sampling_rate_hz));
      ECGBENCH_ASSIGN_OR_RETURN(const auto hw, processor_->OutputSize(geometry.height, geometry.width));
      return std::vector<int64_t>{3, hw.first, hw.second};
    }
    case RepresentationKind::kFeatures:
      return std::vector<int64_t>{kSegmentLeads, rag::kFeaturesPerLead};
    case RepresentationKind::kToken:
      break;
  }
  return absl::InvalidArgumentError("kind token has no dense shape (its length varies per sample)");
}

absl::Status RepresentationBuilder::EnsureShape(int64_t length) {
  if (length == cached_length_) return absl::OkStatus();
  ECGBENCH_ASSIGN_OR_RETURN(cached_shape_, DenseShape(length));
  cached_size_ = 1;
  for (const int64_t d : cached_shape_) cached_size_ *= d;
  cached_length_ = length;
  return absl::OkStatus();
}

absl::Status RepresentationBuilder::CheckCall(const float* segment, int64_t length, int64_t sample_index,
                                              int epoch) const {
  if (segment == nullptr) return absl::InvalidArgumentError("segment is null");
  if (length <= 0 || length > INT_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("segment length must be in 1..", INT_MAX, ", got ", length));
  }
  if (sample_index < 0) return absl::InvalidArgumentError(absl::StrCat("sample index ", sample_index, " < 0"));
  if (epoch < 0) return absl::InvalidArgumentError(absl::StrCat("epoch ", epoch, " < 0"));
  return absl::OkStatus();
}

absl::StatusOr<const float*> RepresentationBuilder::PerturbedRaw(const float* segment, int64_t length,
                                                                 int64_t sample_index, int epoch) {
  const size_t n = static_cast<size_t>(kSegmentLeads * length);
  switch (options_.perturbation) {
    case Perturbation::kNone:
    case Perturbation::kNoSignal:
      return segment;
    case Perturbation::kBlackout:
      work_.assign(n, 0.0f);
      return work_.data();
    case Perturbation::kNoise:
      work_.assign(segment, segment + n);
      ECGBENCH_RETURN_IF_ERROR(Perturb(Perturbation::kNoise, SeedOf(options_, sample_index, epoch), kSegmentLeads,
                                       absl::MakeSpan(work_))
                                   .status());
      return work_.data();
  }
  return segment;
}

absl::Status RepresentationBuilder::BuildSignal(const float* segment, int64_t length, int64_t sample_index,
                                                int epoch, absl::Span<float> out) {
  if (options_.perturbation == Perturbation::kBlackout) {
    std::fill(out.begin(), out.end(), 0.0f);
    return absl::OkStatus();
  }
  const size_t n = static_cast<size_t>(kSegmentLeads * length);
  if (options_.zscore) {
    ECGBENCH_RETURN_IF_ERROR(ZScorePerLead(absl::MakeConstSpan(segment, n), kSegmentLeads, out));
  } else {
    ECGBENCH_RETURN_IF_ERROR(options_.normalizer.Apply(absl::MakeConstSpan(segment, n), out).status());
  }
  if (options_.perturbation == Perturbation::kNoise) {
    // Upstream's ECGSignal perturbs the normalized signal.
    ECGBENCH_RETURN_IF_ERROR(
        Perturb(Perturbation::kNoise, SeedOf(options_, sample_index, epoch), kSegmentLeads, out).status());
  }
  return absl::OkStatus();
}

absl::Status RepresentationBuilder::BuildStacked(const float* raw, int64_t length, absl::Span<float> out) {
  const size_t n = static_cast<size_t>(kSegmentLeads * length);
  stacked_.resize(n * kStackedChannels);
  ECGBENCH_RETURN_IF_ERROR(NormalizeAndStack(options_.normalizer, absl::MakeConstSpan(raw, n), kSegmentLeads,
                                             absl::MakeSpan(stacked_))
                               .status());
  return processor_->Process(stacked_, kSegmentLeads, static_cast<int>(length), &vision_workspace_, out);
}

absl::Status RepresentationBuilder::BuildFeatures(const float* raw, int64_t length, absl::Span<float> out) {
  ECGBENCH_RETURN_IF_ERROR(features_->Extract(raw, kSegmentLeads, length, absl::MakeSpan(feature_values_)));
  for (size_t i = 0; i < feature_values_.size(); ++i) {
    const double f = feature_values_[i];
    out[i] = static_cast<float>(std::copysign(std::log1p(std::fabs(f)), f));
  }
  return absl::OkStatus();
}

absl::Status RepresentationBuilder::BuildImage(const float* raw, int64_t length, int64_t sample_index, int epoch,
                                               absl::Span<float> out) {
  ECGBENCH_RETURN_IF_ERROR(renderer_->Render(raw, kSegmentLeads, length, options_.sampling_rate_hz, &image_));
  if (augmenter_ != nullptr) augmenter_->Augment(options_.seed, sample_index, epoch, &image_);
  return processor_->Process(absl::MakeConstSpan(image_.pixels.data(), image_.size_bytes()), image_.height,
                             image_.width, &vision_workspace_, out);
}

absl::Status RepresentationBuilder::BuildDense(const float* segment, int64_t length, int64_t sample_index, int epoch,
                                               absl::Span<float> out, bool* has_ecg) {
  ECGBENCH_RETURN_IF_ERROR(SamplePrefixed(CheckCall(segment, length, sample_index, epoch), sample_index));
  if (!is_dense()) return SamplePrefixed(absl::InvalidArgumentError("kind token has no dense output"), sample_index);
  ECGBENCH_RETURN_IF_ERROR(SamplePrefixed(EnsureShape(length), sample_index));
  if (static_cast<int64_t>(out.size()) != cached_size_) {
    return SamplePrefixed(absl::InvalidArgumentError(absl::StrCat("output holds ", out.size(), " floats, the ",
                                                                  std::string(RepresentationKindName(options_.kind)),
                                                                  " sample needs ", cached_size_)),
                          sample_index);
  }
  *has_ecg = options_.perturbation != Perturbation::kNoSignal;
  if (!*has_ecg) {
    std::fill(out.begin(), out.end(), 0.0f);
    return absl::OkStatus();
  }
  absl::Status status;
  if (options_.kind == RepresentationKind::kSignal) {
    status = BuildSignal(segment, length, sample_index, epoch, out);
  } else {
    auto raw = PerturbedRaw(segment, length, sample_index, epoch);
    if (!raw.ok()) {
      status = raw.status();
    } else if (options_.kind == RepresentationKind::kStackedSignal) {
      status = BuildStacked(*raw, length, out);
    } else if (options_.kind == RepresentationKind::kFeatures) {
      status = BuildFeatures(*raw, length, out);
    } else {
      status = BuildImage(*raw, length, sample_index, epoch, out);
    }
  }
  return SamplePrefixed(status, sample_index);
}

absl::Status RepresentationBuilder::BuildTokens(const float* segment, int64_t length, int64_t sample_index, int epoch,
                                                std::vector<int32_t>* ids, bool* has_ecg) {
  ECGBENCH_RETURN_IF_ERROR(SamplePrefixed(CheckCall(segment, length, sample_index, epoch), sample_index));
  if (is_dense()) {
    return SamplePrefixed(absl::InvalidArgumentError(absl::StrCat("kind ", std::string(RepresentationKindName(options_.kind)),
                                                                  " has no token output")),
                          sample_index);
  }
  ids->clear();
  *has_ecg = options_.perturbation != Perturbation::kNoSignal;
  if (!*has_ecg) return absl::OkStatus();
  const size_t n = static_cast<size_t>(kSegmentLeads * length);
  auto raw = PerturbedRaw(segment, length, sample_index, epoch);
  if (!raw.ok()) return SamplePrefixed(raw.status(), sample_index);
  work_.resize(n);  // no-op when PerturbedRaw filled it; Apply may alias
  absl::Status status = options_.normalizer.Apply(absl::MakeConstSpan(*raw, n), absl::MakeSpan(work_)).status();
  if (status.ok()) {
    symbols_.clear();
    status = SymbolizeAppend(work_.data(), static_cast<int64_t>(n), length, &symbols_);
  }
  if (status.ok()) status = options_.tokenizer->EncodeAppend(symbols_, EncodeMode::kLongestMatch, ids);
  if (!status.ok()) return SamplePrefixed(status, sample_index);
  if (options_.max_tokens > 0 && static_cast<int64_t>(ids->size()) > options_.max_tokens) {
    ids->resize(static_cast<size_t>(options_.max_tokens));
  }
  return absl::OkStatus();
}

absl::Status RepresentationBuilder::Build(const float* segment, int64_t length, int64_t sample_index, int epoch,
                                          RepresentationSample* out) {
  if (!is_dense()) {
    out->values.clear();
    ECGBENCH_RETURN_IF_ERROR(BuildTokens(segment, length, sample_index, epoch, &out->token_ids, &out->has_ecg));
    out->shape.assign(1, static_cast<int64_t>(out->token_ids.size()));
    return absl::OkStatus();
  }
  out->token_ids.clear();
  ECGBENCH_RETURN_IF_ERROR(SamplePrefixed(CheckCall(segment, length, sample_index, epoch), sample_index));
  ECGBENCH_RETURN_IF_ERROR(SamplePrefixed(EnsureShape(length), sample_index));
  out->values.resize(static_cast<size_t>(cached_size_));
  ECGBENCH_RETURN_IF_ERROR(
      BuildDense(segment, length, sample_index, epoch, absl::MakeSpan(out->values), &out->has_ecg));
  out->shape.assign(cached_shape_.begin(), cached_shape_.end());
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
