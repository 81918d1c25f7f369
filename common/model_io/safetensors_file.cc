// SafetensorsFile: mmap + header validation + name index; views point into the mapping.
#include "common/model_io/safetensors_file.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"

namespace ecgbench::common::model_io {

absl::Status ReadFloat32(const TensorView& view, absl::Span<float> out) {
  if (out.size() != static_cast<size_t>(view.num_elements)) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", Sv(view.name), "' has ", view.num_elements,
                                                   " elements but the output buffer holds ", out.size()));
  }
  ConvertToFloat32(view.dtype, view.data, out.size(), out.data());
  return absl::OkStatus();
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path, const HeaderLimits& limits) {
  absl::StatusOr<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensorsHeader(file->bytes(), path, limits);
  if (!header.ok()) return header.status();
  return SafetensorsFile(*std::move(file), *std::move(header));
}

SafetensorsFile::SafetensorsFile(MappedFile file, SafetensorsHeader header)
    : file_(std::move(file)), header_(std::move(header)) {
  index_.reserve(header_.tensors.size());
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_.emplace(header_.tensors[i].name, i);
}

absl::StatusOr<TensorView> SafetensorsFile::Tensor(std::string_view name) const {
  const auto it = index_.find(Sv(name));
  if (it == index_.end()) return absl::NotFoundError(absl::StrCat(path(), ": no tensor '", Sv(name), "'"));
  return View(header_.tensors[it->second]);
}

TensorView SafetensorsFile::View(const TensorInfo& info) const {
  TensorView view;
  view.name = info.name;
  view.dtype = info.dtype;
  view.shape = info.shape;
  view.data = file_.bytes().data() + header_.data_start + info.begin;
  view.bytes = info.bytes();
  view.num_elements = info.num_elements;
  return view;
}

absl::Status SafetensorsFile::ReadFloat32(std::string_view name, absl::Span<float> out) const {
  absl::StatusOr<TensorView> view = Tensor(name);
  if (!view.ok()) return view.status();
  absl::Status st = model_io::ReadFloat32(*view, out);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(path(), ": ", st.message()));
  return st;
}

absl::StatusOr<std::vector<float>> SafetensorsFile::ReadFloat32(std::string_view name) const {
  absl::StatusOr<TensorView> view = Tensor(name);
  if (!view.ok()) return view.status();
  std::vector<float> out(static_cast<size_t>(view->num_elements));
  ConvertToFloat32(view->dtype, view->data, out.size(), out.data());
  return out;
}

}  // namespace ecgbench::common::model_io
