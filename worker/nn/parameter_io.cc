// One checkpoint tensor into one parameter (parameter_io.h).
#include "worker/nn/parameter_io.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::nn {

std::string ShapeText(absl::Span<const int64_t> shape) { return absl::StrCat("[", absl::StrJoin(shape, ", "), "]"); }

absl::Status CopyTensorIntoParameter(const common::model_io::TensorView& view, const std::string& name,
                                     torch::Tensor param) {
  if (!std::equal(view.shape.begin(), view.shape.end(), param.sizes().begin(), param.sizes().end())) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint tensor '", name, "' has shape ", ShapeText(view.shape),
                                                   ", the model expects ", ShapeText(param.sizes().vec())));
  }
  torch::NoGradGuard no_grad;
  if (param.scalar_type() == torch::kFloat && param.is_contiguous() && param.device().is_cpu()) {
    return common::model_io::ReadFloat32(view,
                                         absl::Span<float>(param.data_ptr<float>(), static_cast<size_t>(param.numel())));
  }
  torch::Tensor staging = torch::empty(param.sizes(), torch::kFloat);
  ECGBENCH_RETURN_IF_ERROR(common::model_io::ReadFloat32(
      view, absl::Span<float>(staging.data_ptr<float>(), static_cast<size_t>(staging.numel()))));
  param.copy_(staging);
  return absl::OkStatus();
}

}  // namespace ecgbench::worker::nn
