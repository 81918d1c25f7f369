// GlooCollective: Collective over c10d::ProcessGroupGloo. Exceptions from c10d and Gloo are caught
// here (the one adapter) and returned as absl::Status with their message (without backtrace).
#include "worker/train/collective/gloo_collective.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/spdlog.h"
#include "worker/train/collective/kv_store.h"

namespace ecgbench::worker::train {
namespace {

// Longest timeout handed to Gloo: it adds timeouts to "now", which must not overflow.
constexpr absl::Duration kMaxTimeout = absl::Hours(24 * 7);

// Runs `body`, turning an exception into a status with `code` and "gloo <what>: <message>".
template <typename F>
absl::Status Guarded(absl::StatusCode code, const std::string& what, F&& body) {
  try {
    body();
    return absl::OkStatus();
  } catch (const c10::Error& e) {
    return absl::Status(code, absl::StrCat("gloo ", what, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::Status(code, absl::StrCat("gloo ", what, ": ", e.what()));
  }
}

std::chrono::milliseconds ToChrono(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(std::min(d, kMaxTimeout)));
}

// Dtypes ProcessGroupGloo 1.13 reduces (its GENERATE_ALL_TYPES); bfloat16 is not among them.
bool GlooReduces(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat:
    case c10::kDouble:
    case c10::kHalf:
    case c10::kChar:
    case c10::kByte:
    case c10::kInt:
    case c10::kLong:
      return true;
    default:
      return false;
  }
}

class GlooWork final : public CollectiveWork {
 public:
  GlooWork(c10::intrusive_ptr<c10d::Work> work, std::vector<at::Tensor> tensors, int64_t divisor)
      : work_(std::move(work)), tensors_(std::move(tensors)), divisor_(divisor) {}

  absl::Status Wait() override {
    absl::MutexLock lock(&mu_);
    if (done_) return status_;
    status_ = Guarded(absl::StatusCode::kUnavailable, "allreduce", [&] { work_->wait(); });
    if (status_.ok() && divisor_ > 1) {
      at::NoGradGuard no_grad;
      for (at::Tensor& tensor : tensors_) tensor.div_(static_cast<double>(divisor_));
    }
    done_ = true;
    work_.reset();
    tensors_.clear();
    return status_;
  }

 private:
  absl::Mutex mu_;
  c10::intrusive_ptr<c10d::Work> work_ ABSL_GUARDED_BY(mu_);
  std::vector<at::Tensor> tensors_ ABSL_GUARDED_BY(mu_);
  const int64_t divisor_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class GlooCollective final : public Collective {
 public:
  GlooCollective(c10::intrusive_ptr<KvStore> store, c10::intrusive_ptr<c10d::ProcessGroupGloo> group,
                 int rank, int world_size)
      : store_(std::move(store)), group_(std::move(group)), rank_(rank), world_size_(world_size) {}

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend() const override { return "gloo"; }
  c10::Device device() const override { return c10::Device(c10::kCPU); }

  absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduce(std::vector<at::Tensor> tensors,
                                                            ReduceOp op) override {
    if (absl::Status status = CheckReduceInputs(tensors, op); !status.ok()) return status;
    c10::intrusive_ptr<c10d::Work> work;
    absl::Status status = Guarded(absl::StatusCode::kUnavailable, "allreduce", [&] {
      // Several tensors of one dtype go as one coalesced operation (flattened inside c10d).
      work = tensors.size() == 1 ? group_->allreduce(tensors) : group_->allreduce_coalesced(tensors);
    });
    if (!status.ok()) return status;
    const int64_t divisor = op == ReduceOp::kAverage ? world_size_ : 1;
    return std::unique_ptr<CollectiveWork>(new GlooWork(std::move(work), std::move(tensors), divisor));
  }

  absl::Status Broadcast(std::vector<at::Tensor> tensors) override {
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].defined() || tensors[i].device() != device()) {
        return absl::InvalidArgumentError(absl::StrCat("gloo Broadcast: tensor ", i, " is undefined or not on the CPU"));
      }
    }
    // One flat buffer per dtype (in order of first appearance, the same on every rank).
    std::vector<c10::ScalarType> dtypes;
    for (const at::Tensor& t : tensors) {
      if (std::find(dtypes.begin(), dtypes.end(), t.scalar_type()) == dtypes.end()) dtypes.push_back(t.scalar_type());
    }
    at::NoGradGuard no_grad;
    for (c10::ScalarType dtype : dtypes) {
      std::vector<at::Tensor> members;
      for (const at::Tensor& t : tensors) {
        if (t.scalar_type() == dtype) members.push_back(t);
      }
      std::vector<at::Tensor> flat_parts;
      flat_parts.reserve(members.size());
      for (const at::Tensor& t : members) flat_parts.push_back(t.detach().reshape({-1}));
      std::vector<at::Tensor> buffer = {torch::cat(flat_parts)};
      c10d::BroadcastOptions options;
      options.rootRank = 0;
      absl::Status status = Guarded(absl::StatusCode::kUnavailable, "broadcast",
                                    [&] { group_->broadcast(buffer, options)->wait(); });
      if (!status.ok()) return status;
      int64_t offset = 0;
      for (at::Tensor& t : members) {
        t.copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
      }
    }
    return absl::OkStatus();
  }

  absl::Status Barrier() override {
    return Guarded(absl::StatusCode::kUnavailable, "barrier", [&] { group_->barrier()->wait(); });
  }

 protected:
  absl::StatusOr<std::vector<at::Tensor>> AllGatherEqualShapes(const at::Tensor& local) override {
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int r = 0; r < world_size_; ++r) outputs[0].push_back(torch::empty_like(local));
    std::vector<at::Tensor> inputs = {local.contiguous()};
    absl::Status status = Guarded(absl::StatusCode::kUnavailable, "allgather",
                                  [&] { group_->allgather(outputs, inputs)->wait(); });
    if (!status.ok()) return status;
    return std::move(outputs[0]);
  }

 private:
  absl::Status CheckReduceInputs(const std::vector<at::Tensor>& tensors, ReduceOp op) const {
    if (tensors.empty()) return absl::InvalidArgumentError("gloo AllReduce: no tensors");
    for (size_t i = 0; i < tensors.size(); ++i) {
      const at::Tensor& t = tensors[i];
      std::string problem;
      if (!t.defined()) {
        problem = "is undefined";
      } else if (t.device() != device()) {
        problem = absl::StrCat("is on ", t.device().str(), ", not on the CPU");
      } else if (t.is_sparse() || !t.is_contiguous()) {
        problem = "is not a dense contiguous tensor";
      } else if (!GlooReduces(t.scalar_type())) {
        problem = absl::StrCat("has dtype ", c10::toString(t.scalar_type()),
                               ", which Gloo cannot reduce (float, double, half, int8, uint8, int32, int64)");
      } else if (t.scalar_type() != tensors[0].scalar_type()) {
        problem = absl::StrCat("has dtype ", c10::toString(t.scalar_type()), ", tensor 0 has ",
                               c10::toString(tensors[0].scalar_type()), " (one dtype per call)");
      } else if (op == ReduceOp::kAverage && !c10::isFloatingType(t.scalar_type())) {
        problem = "is not floating point, so it cannot be averaged";
      }
      if (!problem.empty()) return absl::InvalidArgumentError(absl::StrCat("gloo AllReduce: tensor ", i, " ", problem));
    }
    return absl::OkStatus();
  }

  const c10::intrusive_ptr<KvStore> store_;  // kept for the group's lifetime
  const c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  const int rank_;
  const int world_size_;
};

absl::Status CheckOptions(const GlooOptions& options) {
  if (options.world_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("gloo: world_size must be >= 1 (got ", options.world_size, ")"));
  }
  if (options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("gloo: rank must be in [0, ", options.world_size, ") (got ", options.rank, ")"));
  }
  if (options.key_prefix.empty()) return absl::InvalidArgumentError("gloo: key_prefix must not be empty");
  if (options.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("gloo: threads must be >= 1 (got ", options.threads, ")"));
  }
  if (options.rendezvous_timeout <= absl::ZeroDuration() || options.op_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("gloo: rendezvous_timeout and op_timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collective>> CreateGlooCollective(RendezvousKv& kv, const GlooOptions& options) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  auto group_options = c10d::ProcessGroupGloo::Options::create(ToChrono(options.op_timeout));
  group_options->threads = options.threads;
  const std::string where = !options.interface.empty() ? absl::StrCat("interface ", options.interface)
                            : !options.hostname.empty() ? absl::StrCat("hostname ", options.hostname)
                                                        : std::string("this host's name");
  absl::Status status = Guarded(absl::StatusCode::kInvalidArgument, absl::StrCat("device for ", where), [&] {
    if (!options.interface.empty()) {
      group_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(options.interface));
    } else if (!options.hostname.empty()) {
      group_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(options.hostname));
    } else {
      group_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
  });
  if (!status.ok()) return status;

  auto store = c10::make_intrusive<KvStore>(kv, options.key_prefix, ToChrono(options.rendezvous_timeout));
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  status = Guarded(absl::StatusCode::kUnavailable, "rendezvous", [&] {
    group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, options.rank, options.world_size, group_options);
  });
  if (!status.ok()) {
    // Prefer the KV's own error (CANCELLED, DEADLINE_EXCEEDED) over the generic one.
    const absl::Status kv_error = store->first_error();
    const absl::Status& cause = kv_error.ok() ? status : kv_error;
    return absl::Status(cause.code(), absl::StrCat("gloo rendezvous of rank ", options.rank, " of ",
                                                   options.world_size, " (keys ", options.key_prefix,
                                                   "*): ", cause.message()));
  }
  spdlog::info("gloo: rank {} of {} joined the group {} ({})", options.rank, options.world_size,
               options.key_prefix, where);
  return std::unique_ptr<Collective>(
      new GlooCollective(std::move(store), std::move(group), options.rank, options.world_size));
}

}  // namespace ecgbench::worker::train
