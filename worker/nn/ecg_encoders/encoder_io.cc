// Saving and loading ECG encoder weights with their options (encoder_io.h).
#include "worker/nn/ecg_encoders/encoder_io.h"

#include <cstdio>
#include <functional>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/status_macros.h"
#include "worker/nn/parameter_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::SafetensorsFile;
using common::model_io::SafetensorsWriter;
using common::model_io::TensorView;

constexpr char kPrefix[] = "ecg_encoder.";

std::string DoubleText(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  return buf;
}

// The integer fields, by metadata name.
std::vector<std::pair<const char*, int64_t EcgEncoderOptions::*>> IntFields() {
  return {{"num_leads", &EcgEncoderOptions::num_leads},         {"segment_len", &EcgEncoderOptions::segment_len},
          {"width", &EcgEncoderOptions::width},                 {"depth", &EcgEncoderOptions::depth},
          {"heads", &EcgEncoderOptions::heads},                 {"mlp_dim", &EcgEncoderOptions::mlp_dim},
          {"decoder_width", &EcgEncoderOptions::decoder_width}, {"decoder_depth", &EcgEncoderOptions::decoder_depth},
          {"decoder_heads", &EcgEncoderOptions::decoder_heads}, {"patch_size", &EcgEncoderOptions::patch_size},
          {"resnet_width", &EcgEncoderOptions::resnet_width},   {"merl_dim", &EcgEncoderOptions::merl_dim},
          {"merl_heads", &EcgEncoderOptions::merl_heads},       {"text_dim", &EcgEncoderOptions::text_dim}};
}

// Every tensor that is saved: parameters, then buffers without num_batches_tracked.
void ForEachSaved(EcgEncoder& encoder, const std::function<void(const std::string&, torch::Tensor&)>& fn) {
  for (auto& item : encoder.named_parameters(/*recurse=*/true)) fn(item.key(), item.value());
  for (auto& item : encoder.named_buffers(/*recurse=*/true)) {
    if (!absl::EndsWith(item.key(), "num_batches_tracked")) fn(item.key(), item.value());
  }
}

bool IgnoredTensor(const std::string& name) {
  return absl::EndsWith(name, "num_batches_tracked") || name == "resnet.linear.weight" || name == "resnet.linear.bias";
}

absl::Status WithPath(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

}  // namespace

std::map<std::string, std::string> EcgEncoderMetadata(const EcgEncoderOptions& o) {
  std::map<std::string, std::string> m;
  m[absl::StrCat(kPrefix, "kind")] = o.kind;
  m[absl::StrCat(kPrefix, "preset")] = o.preset;
  m[absl::StrCat(kPrefix, "seed")] = absl::StrCat(o.seed);
  for (const auto& [name, field] : IntFields()) m[absl::StrCat(kPrefix, name)] = absl::StrCat(o.*field);
  m[absl::StrCat(kPrefix, "mask_ratio")] = DoubleText(o.mask_ratio);
  m[absl::StrCat(kPrefix, "merl_dropout")] = DoubleText(o.merl_dropout);
  m[absl::StrCat(kPrefix, "resnet_blocks")] = absl::StrJoin(o.resnet_blocks, ",");
  return m;
}

absl::StatusOr<EcgEncoderOptions> EcgEncoderOptionsFromMetadata(const std::map<std::string, std::string>& metadata,
                                                                const std::string& source) {
  auto find = [&](const std::string& name) -> const std::string* {
    auto it = metadata.find(absl::StrCat(kPrefix, name));
    return it == metadata.end() ? nullptr : &it->second;
  };
  auto bad = [&](const std::string& name, const std::string& value) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": metadata '", kPrefix, name, "' has an unparsable value '", value, "'"));
  };
  EcgEncoderOptions o;
  const std::string* kind = find("kind");
  if (kind == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no '", kPrefix, "kind' metadata (not an ECG encoder file)"));
  }
  o.kind = *kind;
  if (const std::string* v = find("preset")) o.preset = *v;
  if (const std::string* v = find("seed"); v != nullptr && !absl::SimpleAtoi(*v, &o.seed)) return bad("seed", *v);
  for (const auto& [name, field] : IntFields()) {
    if (const std::string* v = find(name); v != nullptr && !absl::SimpleAtoi(*v, &(o.*field))) return bad(name, *v);
  }
  if (const std::string* v = find("mask_ratio"); v != nullptr && !absl::SimpleAtod(*v, &o.mask_ratio)) {
    return bad("mask_ratio", *v);
  }
  if (const std::string* v = find("merl_dropout"); v != nullptr && !absl::SimpleAtod(*v, &o.merl_dropout)) {
    return bad("merl_dropout", *v);
  }
  if (const std::string* v = find("resnet_blocks"); v != nullptr && !v->empty()) {
    for (absl::string_view part : absl::StrSplit(*v, ',')) {
      int64_t count = 0;
      if (!absl::SimpleAtoi(part, &count)) return bad("resnet_blocks", *v);
      o.resnet_blocks.push_back(count);
    }
  }
  return o;
}

absl::Status SaveEcgEncoder(EcgEncoder& encoder, const std::string& path) {
  SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  for (const auto& [key, value] : EcgEncoderMetadata(encoder.options())) {
    ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata(key, value));
  }
  absl::Status status;
  ForEachSaved(encoder, [&](const std::string& name, torch::Tensor& tensor) {
    if (!status.ok()) return;
    const torch::Tensor values = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    status = writer.AddFloat32(name, values.sizes().vec(),
                               absl::Span<const float>(values.data_ptr<float>(), static_cast<size_t>(values.numel())));
  });
  ECGBENCH_RETURN_IF_ERROR(status);
  return writer.Write(path);
}

absl::Status LoadEcgEncoderWeights(EcgEncoder& encoder, const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(const SafetensorsFile file, SafetensorsFile::Open(path));
  const auto kind = file.metadata().find(absl::StrCat(kPrefix, "kind"));
  if (kind != file.metadata().end() && kind->second != encoder.options().kind) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds a '", kind->second, "' ECG encoder, the model is '",
                                                   encoder.options().kind, "'"));
  }
  std::set<std::string> expected;
  absl::Status status;
  ForEachSaved(encoder, [&](const std::string& name, torch::Tensor& tensor) {
    expected.insert(name);
    if (!status.ok()) return;
    absl::StatusOr<TensorView> view = file.Tensor(name);
    if (!view.ok()) {
      status = absl::InvalidArgumentError(absl::StrCat(path, ": lacks tensor '", name, "' (the model's shape ",
                                                       ShapeText(tensor.sizes().vec()), ")"));
      return;
    }
    if (absl::Status s = CopyTensorIntoParameter(*view, name, tensor); !s.ok()) status = WithPath(path, s);
  });
  ECGBENCH_RETURN_IF_ERROR(status);
  std::vector<std::string> unexpected;
  for (const auto& info : file.tensors()) {
    if (expected.count(info.name) == 0 && !IgnoredTensor(info.name)) unexpected.push_back(info.name);
  }
  if (!unexpected.empty()) {
    if (unexpected.size() > 5) unexpected.resize(5);
    return absl::InvalidArgumentError(absl::StrCat(path, ": has tensors the '", encoder.options().kind,
                                                   "' encoder does not: ", absl::StrJoin(unexpected, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<EcgEncoder>> LoadEcgEncoder(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(const SafetensorsFile file, SafetensorsFile::Open(path));
  ECGBENCH_ASSIGN_OR_RETURN(const EcgEncoderOptions options, EcgEncoderOptionsFromMetadata(file.metadata(), path));
  absl::StatusOr<std::shared_ptr<EcgEncoder>> encoder = CreateEcgEncoder(options);
  if (!encoder.ok()) return WithPath(path, encoder.status());
  ECGBENCH_RETURN_IF_ERROR(LoadEcgEncoderWeights(**encoder, path));
  return encoder;
}

}  // namespace ecgbench::worker::nn
