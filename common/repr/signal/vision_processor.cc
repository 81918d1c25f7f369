// HF image processor pixel path: PIL resize of the crop region, crop, rescale, normalize (see
// vision_processor.h).
#include "common/repr/signal/vision_processor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

constexpr int kChannels = 3;
constexpr int64_t kMaxSide = int64_t{1} << 24;

int FloorDiv2(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

}  // namespace

VisionProcessor::VisionProcessor(const VisionProcessorConfig& config) : config_(config) {
  for (int c = 0; c < kChannels; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = config_.do_rescale ? static_cast<float>(static_cast<double>(v) * config_.rescale_factor)
                                   : static_cast<float>(v);
      if (config_.do_normalize) x = (x - config_.image_mean[c]) / config_.image_std[c];
      lut_[c][v] = x;
    }
  }
}

absl::StatusOr<VisionProcessor> VisionProcessor::Create(const VisionProcessorConfig& config) {
  const auto bad = [&](const char* field) {
    return absl::InvalidArgumentError(
        absl::StrCat("vision processor \"", config.name, "\": ", field, " must be in [1, 65536]"));
  };
  const auto ok_size = [](int v) { return v >= 1 && v <= 65536; };
  if (config.do_resize && config.resize_mode == ResizeMode::kShortestEdge && !ok_size(config.shortest_edge)) {
    return bad("size.shortest_edge");
  }
  if (config.do_resize && config.resize_mode == ResizeMode::kHeightWidth &&
      (!ok_size(config.height) || !ok_size(config.width))) {
    return bad("size");
  }
  if (config.do_center_crop && (!ok_size(config.crop_height) || !ok_size(config.crop_width))) return bad("crop_size");
  for (int c = 0; c < kChannels; ++c) {
    if (config.do_normalize && config.image_std[c] == 0.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat("vision processor \"", config.name, "\": image_std[", c, "] is 0"));
    }
  }
  return VisionProcessor(config);
}

absl::StatusOr<std::pair<int, int>> VisionProcessor::ResizedSize(int in_h, int in_w) const {
  if (in_h <= 0 || in_w <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("vision processor: image size ", in_h, "x", in_w));
  }
  if (!config_.do_resize) return std::make_pair(in_h, in_w);
  if (config_.resize_mode == ResizeMode::kHeightWidth) return std::make_pair(config_.height, config_.width);
  const int64_t s = config_.shortest_edge;
  const int64_t short_side = std::min(in_h, in_w);
  const int64_t long_side = std::max(in_h, in_w);
  // Python: int(s * long / short), a correctly rounded float64 quotient, then truncation.
  const double q = static_cast<double>(s * long_side) / static_cast<double>(short_side);
  if (q >= static_cast<double>(kMaxSide)) {
    return absl::InvalidArgumentError(
        absl::StrCat("vision processor: resizing ", in_h, "x", in_w, " to shortest edge ", s, " exceeds 2^24 pixels"));
  }
  const int new_long = static_cast<int>(q);
  if (new_long <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("vision processor: resizing ", in_h, "x", in_w, " to shortest edge ", s, " gives an empty side"));
  }
  // width <= height: (new_long, new_short) as (h, w); else (new_short, new_long).
  if (in_w <= in_h) return std::make_pair(new_long, static_cast<int>(s));
  return std::make_pair(static_cast<int>(s), new_long);
}

absl::StatusOr<std::pair<int, int>> VisionProcessor::OutputSize(int in_h, int in_w) const {
  ECGBENCH_ASSIGN_OR_RETURN(const auto resized, ResizedSize(in_h, in_w));
  if (!config_.do_center_crop) return resized;
  return std::make_pair(config_.crop_height, config_.crop_width);
}

absl::Status VisionProcessor::Process(absl::Span<const uint8_t> image, int in_h, int in_w, VisionWorkspace* workspace,
                                      absl::Span<float> out) const {
  ECGBENCH_ASSIGN_OR_RETURN(const auto resized, ResizedSize(in_h, in_w));
  ECGBENCH_ASSIGN_OR_RETURN(const auto out_size, OutputSize(in_h, in_w));
  const auto [rh, rw] = resized;
  const auto [oh, ow] = out_size;
  if (image.size() != static_cast<size_t>(in_h) * static_cast<size_t>(in_w) * kChannels) {
    return absl::InvalidArgumentError(
        absl::StrCat("vision processor: image has ", image.size(), " bytes, expected ", in_h, "x", in_w, "x3"));
  }
  const size_t plane = static_cast<size_t>(oh) * static_cast<size_t>(ow);
  if (out.size() != plane * kChannels) {
    return absl::InvalidArgumentError(
        absl::StrCat("vision processor: output has ", out.size(), " floats, expected 3x", oh, "x", ow));
  }
  // Output pixel (r, q) shows resized pixel (r + top, q + left), zero outside the resized image.
  const int top = config_.do_center_crop ? FloorDiv2(rh - oh) : 0;
  const int left = config_.do_center_crop ? FloorDiv2(rw - ow) : 0;
  const int y0 = std::max(0, top);
  const int x0 = std::max(0, left);
  const int y1 = std::min(rh, top + oh);
  const int x1 = std::min(rw, left + ow);
  const ResizeRegion region{y0, x0, y1 - y0, x1 - x0};

  const uint8_t* pixels = image.data();
  int stride = in_w;  // pixels per row of `pixels`
  if (rh != in_h || rw != in_w) {
    const PilResizePlan* plan = workspace->plan_ ? &*workspace->plan_ : nullptr;
    if (plan == nullptr || plan->in_h() != in_h || plan->in_w() != in_w || plan->out_h() != rh || plan->out_w() != rw ||
        plan->filter() != config_.resample || plan->region().y0 != region.y0 || plan->region().x0 != region.x0 ||
        plan->region().height != region.height || plan->region().width != region.width) {
      ECGBENCH_ASSIGN_OR_RETURN(PilResizePlan built,
                                PilResizePlan::Build(in_h, in_w, rh, rw, config_.resample, region));
      workspace->plan_ = std::move(built);
    }
    const size_t bytes = static_cast<size_t>(region.height) * static_cast<size_t>(region.width) * kChannels;
    if (workspace->pixels_.size() < bytes) workspace->pixels_.resize(bytes);
    workspace->plan_->Run(image.data(), kChannels, &workspace->scratch_, workspace->pixels_.data());
    pixels = workspace->pixels_.data();
    stride = region.width;
  } else {
    pixels += (static_cast<size_t>(y0) * static_cast<size_t>(in_w) + static_cast<size_t>(x0)) * kChannels;
  }

  for (int c = 0; c < kChannels; ++c) {
    const std::array<float, 256>& lut = lut_[c];
    const float zero = lut[0];
    float* dst = out.data() + static_cast<size_t>(c) * plane;
    for (int r = 0; r < oh; ++r) {
      float* row = dst + static_cast<size_t>(r) * static_cast<size_t>(ow);
      const int y = r + top;
      if (y < y0 || y >= y1) {
        std::fill(row, row + ow, zero);
        continue;
      }
      const uint8_t* src = pixels + static_cast<size_t>(y - y0) * static_cast<size_t>(stride) * kChannels;
      for (int q = 0; q < ow; ++q) {
        const int x = q + left;
        row[q] = (x < x0 || x >= x1) ? zero : lut[src[static_cast<size_t>(x - x0) * kChannels + c]];
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
