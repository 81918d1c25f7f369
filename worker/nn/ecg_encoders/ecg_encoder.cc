// Options, presets, the patch-size rule, the projection (encoder-free) encoder and the factory
// (ecg_encoder.h).
#include "worker/nn/ecg_encoders/ecg_encoder.h"

#include <cmath>
#include <cstdlib>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/nn/ecg_encoders/mae.h"
#include "worker/nn/ecg_encoders/merl.h"

namespace ecgbench::worker::nn {
namespace {

absl::Status OptionError(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("ecg encoder option '", field, "': ", reason));
}

bool IsVitKind(const std::string& kind) { return kind == "st_mem" || kind == "mtae" || kind == "mlae"; }

void Fill(int64_t& field, int64_t preset_value) {
  if (field == 0) field = preset_value;
}

absl::Status CheckPositive(absl::string_view field, int64_t value) {
  return value > 0 ? absl::OkStatus() : OptionError(field, absl::StrCat("must be positive, got ", value));
}

// Attention width / heads, and even for the sin-cos positions.
absl::Status CheckHeads(absl::string_view width_field, int64_t width, int64_t heads) {
  if (width % heads != 0) {
    return OptionError(width_field, absl::StrCat(width, " is not divisible by its ", heads, " heads"));
  }
  if (width % 2 != 0) return OptionError(width_field, absl::StrCat(width, " must be even (sin-cos positions)"));
  return absl::OkStatus();
}

absl::Status ResolveVit(EcgEncoderOptions& o, bool tiny) {
  Fill(o.width, tiny ? 32 : 768);
  Fill(o.depth, tiny ? 2 : 12);
  Fill(o.heads, tiny ? 4 : 12);
  Fill(o.mlp_dim, tiny ? 64 : 3072);
  Fill(o.decoder_width, tiny ? 16 : 256);
  Fill(o.decoder_depth, tiny ? 1 : 4);
  Fill(o.decoder_heads, tiny ? 2 : 4);
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"width", o.width}, {"depth", o.depth},
                                    {"heads", o.heads}, {"mlp_dim", o.mlp_dim}, {"decoder_width", o.decoder_width},
                                    {"decoder_depth", o.decoder_depth}, {"decoder_heads", o.decoder_heads}}) {
    if (absl::Status s = CheckPositive(name, value); !s.ok()) return s;
  }
  if (absl::Status s = CheckHeads("width", o.width, o.heads); !s.ok()) return s;
  if (absl::Status s = CheckHeads("decoder_width", o.decoder_width, o.decoder_heads); !s.ok()) return s;
  int64_t num_patches = o.num_leads;
  if (o.kind == "mlae") {
    if (o.patch_size != 0 && o.patch_size != 1) {
      return OptionError("patch_size", absl::StrCat("mlae uses one lead per patch (0 or 1), got ", o.patch_size));
    }
    o.patch_size = 1;
  } else {
    if (o.patch_size < 0) return OptionError("patch_size", absl::StrCat("must be >= 0, got ", o.patch_size));
    Fill(o.patch_size, PatchSizeFor(o.segment_len));
    if (o.segment_len % o.patch_size != 0) {
      return OptionError("patch_size",
                         absl::StrCat(o.patch_size, " does not divide segment_len ", o.segment_len));
    }
    num_patches = o.segment_len / o.patch_size;
  }
  if (!(o.mask_ratio >= 0.0 && o.mask_ratio < 1.0)) {
    return OptionError("mask_ratio", absl::StrCat(o.mask_ratio, " is outside [0, 1)"));
  }
  if (static_cast<int64_t>(static_cast<double>(num_patches) * (1.0 - o.mask_ratio)) < 1) {
    return OptionError("mask_ratio", absl::StrCat(o.mask_ratio, " keeps no patch of ", num_patches));
  }
  return absl::OkStatus();
}

absl::Status ResolveMerl(EcgEncoderOptions& o, bool tiny) {
  if (o.resnet_blocks.empty()) o.resnet_blocks = tiny ? std::vector<int64_t>{1, 1, 1, 1} : std::vector<int64_t>{3, 4, 23, 3};
  Fill(o.resnet_width, tiny ? 4 : 64);
  Fill(o.merl_dim, tiny ? 16 : 256);
  Fill(o.merl_heads, 4);
  Fill(o.text_dim, tiny ? 24 : 768);
  if (o.resnet_blocks.size() != 4) {
    return OptionError("resnet_blocks", absl::StrCat("needs 4 stage counts, got [", absl::StrJoin(o.resnet_blocks, ", "), "]"));
  }
  for (int64_t count : o.resnet_blocks) {
    if (count < 1) return OptionError("resnet_blocks", absl::StrCat("counts must be positive, got ", count));
  }
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"resnet_width", o.resnet_width},
                                    {"merl_dim", o.merl_dim}, {"merl_heads", o.merl_heads}, {"text_dim", o.text_dim}}) {
    if (absl::Status s = CheckPositive(name, value); !s.ok()) return s;
  }
  if (o.merl_dim % o.merl_heads != 0) {
    return OptionError("merl_dim", absl::StrCat(o.merl_dim, " is not divisible by its ", o.merl_heads, " heads"));
  }
  if (!(o.merl_dropout >= 0.0 && o.merl_dropout < 1.0)) {
    return OptionError("merl_dropout", absl::StrCat(o.merl_dropout, " is outside [0, 1)"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t PatchSizeFor(int64_t segment_len) {
  int64_t best = 0;
  for (int64_t p = 1; p <= segment_len; ++p) {
    if (segment_len % p != 0) continue;
    const int64_t n = segment_len / p;
    if (n < 16 || n > 64) continue;
    if (best == 0 || std::llabs(n - 32) < std::llabs(segment_len / best - 32)) best = p;
  }
  if (best != 0) return best;
  const int64_t target = static_cast<int64_t>(std::sqrt(static_cast<double>(segment_len) / 32.0));
  for (int64_t p = 1; p <= segment_len; ++p) {
    if (segment_len % p == 0 && (best == 0 || std::llabs(p - target) < std::llabs(best - target))) best = p;
  }
  return best;
}

absl::StatusOr<EcgEncoderOptions> ResolveEcgEncoderOptions(const EcgEncoderOptions& options) {
  EcgEncoderOptions o = options;
  if (o.kind != "projection" && o.kind != "merl" && !IsVitKind(o.kind)) {
    return OptionError("kind", absl::StrCat("'", o.kind, "' is not one of projection, st_mem, mtae, mlae, merl"));
  }
  if (o.preset != "base" && o.preset != "tiny") {
    return OptionError("preset", absl::StrCat("'", o.preset, "' is not base or tiny"));
  }
  if (absl::Status s = CheckPositive("num_leads", o.num_leads); !s.ok()) return s;
  if (absl::Status s = CheckPositive("segment_len", o.segment_len); !s.ok()) return s;
  const bool tiny = o.preset == "tiny";
  if (IsVitKind(o.kind)) {
    if (absl::Status s = ResolveVit(o, tiny); !s.ok()) return s;
  } else if (o.kind == "merl") {
    if (absl::Status s = ResolveMerl(o, tiny); !s.ok()) return s;
  }
  return o;
}

void EcgEncoder::CheckSignal(const torch::Tensor& signal) const {
  TORCH_CHECK(signal.defined() && signal.dim() == 3 && signal.size(1) == options_.num_leads &&
                  signal.size(2) == options_.segment_len && signal.is_floating_point(),
              "ecg encoder '", options_.kind, "': signal must be a floating [B, ", options_.num_leads, ", ",
              options_.segment_len, "] tensor, got ", signal.defined() ? signal.sizes() : at::IntArrayRef{}, " ",
              signal.defined() ? signal.scalar_type() : torch::kFloat);
}

torch::Tensor ProjectionEncoder::Embed(const torch::Tensor& signal, int64_t num_tokens) {
  CheckSignal(signal);
  TORCH_CHECK(num_tokens == 1, "ecg encoder 'projection': the encoder-free ELM injects one token, got num_tokens ",
              num_tokens);
  return signal.to(torch::kFloat).reshape({signal.size(0), 1, embed_dim()}).contiguous();
}

absl::StatusOr<std::shared_ptr<EcgEncoder>> CreateEcgEncoder(const EcgEncoderOptions& options) {
  absl::StatusOr<EcgEncoderOptions> resolved = ResolveEcgEncoderOptions(options);
  if (!resolved.ok()) return resolved.status();
  const EcgEncoderOptions& o = *resolved;
  try {
    if (o.kind == "projection") return std::shared_ptr<EcgEncoder>(std::make_shared<ProjectionEncoder>(o));
    if (o.kind == "st_mem") return std::shared_ptr<EcgEncoder>(std::make_shared<StMem>(o));
    if (o.kind == "mtae") return std::shared_ptr<EcgEncoder>(std::make_shared<ClsMae>(o, ClsMae::Axis::kTime));
    if (o.kind == "mlae") return std::shared_ptr<EcgEncoder>(std::make_shared<ClsMae>(o, ClsMae::Axis::kLead));
    return std::shared_ptr<EcgEncoder>(std::make_shared<MerlEncoder>(o));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("ecg encoder '", o.kind, "': ", e.what_without_backtrace()));
  }
}

}  // namespace ecgbench::worker::nn
