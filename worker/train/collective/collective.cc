// Backend-independent parts of Collective: the shape check before an all-gather, metric reduction
// and putting the local slice back into a gathered tensor.
#include "worker/train/collective/collective.h"

#include <torch/torch.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ecgbench::worker::train {
namespace {

// Shape descriptor exchanged before an all-gather: [ndim, dtype, size_0 .. size_{kMaxDims-1}].
constexpr int64_t kMaxDims = 8;
constexpr int64_t kDescriptorLength = 2 + kMaxDims;

std::string DescribeShape(const int64_t* descriptor) {
  std::vector<int64_t> sizes(descriptor + 2, descriptor + 2 + descriptor[0]);
  return absl::StrCat("[", absl::StrJoin(sizes, ", "), "] ",
                      c10::toString(static_cast<c10::ScalarType>(descriptor[1])));
}

}  // namespace

absl::StatusOr<at::Tensor> Collective::AllGather(const at::Tensor& local) {
  if (!local.defined()) return absl::InvalidArgumentError("AllGather: the tensor is undefined");
  if (local.dim() < 1 || local.dim() > kMaxDims) {
    return absl::InvalidArgumentError(
        absl::StrCat("AllGather: the tensor must have 1 to ", kMaxDims, " dimensions (got ", local.dim(), ")"));
  }
  if (local.device() != device()) {
    return absl::InvalidArgumentError(absl::StrCat("AllGather: the tensor is on ", local.device().str(),
                                                   ", this ", backend(), " group works on ", device().str()));
  }
  at::Tensor descriptor = torch::zeros({kDescriptorLength}, torch::kInt64);
  auto d = descriptor.accessor<int64_t, 1>();
  d[0] = local.dim();
  d[1] = static_cast<int64_t>(local.scalar_type());
  for (int64_t i = 0; i < local.dim(); ++i) d[2 + i] = local.size(i);
  auto descriptors = AllGatherEqualShapes(descriptor.to(device()));
  if (!descriptors.ok()) return descriptors.status();
  std::vector<std::string> shapes;
  bool equal = true;
  for (const at::Tensor& other : *descriptors) {
    const at::Tensor cpu = other.to(torch::kCPU).contiguous();
    equal = equal && torch::equal(cpu, descriptor);
    shapes.push_back(absl::StrCat("rank ", shapes.size(), " ", DescribeShape(cpu.data_ptr<int64_t>())));
  }
  if (!equal) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AllGather: every rank must pass the same shape and dtype (", absl::StrJoin(shapes, "; "),
        "); with a data loader, use drop_last so that all batches have the same size"));
  }
  auto parts = AllGatherEqualShapes(local.detach().contiguous());
  if (!parts.ok()) return parts.status();
  return torch::cat(*parts, 0);
}

absl::StatusOr<std::vector<double>> Collective::ReduceScalars(const std::vector<double>& values, ReduceOp op) {
  if (values.empty()) return std::vector<double>();
  at::Tensor buffer = torch::tensor(values, torch::kFloat64).to(device());
  auto work = AllReduce({buffer}, op);
  if (!work.ok()) return work.status();
  if (absl::Status status = (*work)->Wait(); !status.ok()) return status;
  const at::Tensor cpu = buffer.to(torch::kCPU).contiguous();
  const double* data = cpu.data_ptr<double>();
  return std::vector<double>(data, data + cpu.numel());
}

at::Tensor WithLocalSlice(const at::Tensor& gathered, const at::Tensor& local, int rank) {
  const int64_t rows = local.size(0);
  const int64_t total = gathered.size(0);
  TORCH_CHECK(rows > 0 && total % rows == 0 && rank >= 0 && (rank + 1) * rows <= total,
              "WithLocalSlice: gathered has ", total, " rows, local ", rows, ", rank ", rank);
  std::vector<at::Tensor> parts;
  if (rank > 0) parts.push_back(gathered.narrow(0, 0, rank * rows));
  parts.push_back(local);
  const int64_t after = total - (rank + 1) * rows;
  if (after > 0) parts.push_back(gathered.narrow(0, (rank + 1) * rows, after));
  return torch::cat(parts, 0);
}

}  // namespace ecgbench::worker::train
