// GradientBucketer: bucket layout, the per-parameter gradient hooks, ordered bucket launches and the
// write-back of averaged gradients.
#include "worker/train/collective/gradient_bucketer.h"

#include <torch/torch.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ecgbench::worker::train {
namespace {

struct Slot {
  int bucket = 0;
  int64_t offset = 0;  // in elements, in the bucket's buffer
  int64_t numel = 0;
  bool ready = false;  // the hook copied this step's gradient into the buffer
};

struct Bucket {
  std::vector<int> params;  // parameter indices, in buffer order
  at::Tensor buffer;        // flat, allocated once
  size_t pending = 0;       // parameters whose gradient has not arrived yet
  std::unique_ptr<CollectiveWork> work;
};

// Parameter indices per bucket: reverse parameter order, one dtype per bucket, at most
// bucket_bytes each (a larger parameter alone). Partly filled buckets close at the end, in the
// order their dtype first appeared.
std::vector<std::vector<int>> Layout(const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  struct Open {
    c10::ScalarType dtype;
    std::vector<int> params;
    int64_t bytes = 0;
  };
  std::vector<Open> open;
  std::vector<std::vector<int>> layout;
  for (int i = static_cast<int>(params.size()) - 1; i >= 0; --i) {
    const at::Tensor& p = params[static_cast<size_t>(i)];
    auto it = std::find_if(open.begin(), open.end(), [&](const Open& o) { return o.dtype == p.scalar_type(); });
    if (it == open.end()) it = open.insert(open.end(), Open{p.scalar_type(), {}, 0});
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    if (!it->params.empty() && it->bytes + bytes > bucket_bytes) {
      layout.push_back(std::move(it->params));
      it->params.clear();
      it->bytes = 0;
    }
    it->params.push_back(i);
    it->bytes += bytes;
  }
  for (Open& o : open) {
    if (!o.params.empty()) layout.push_back(std::move(o.params));
  }
  return layout;
}

absl::Status CheckParameters(const Collective& collective, const std::vector<at::Tensor>& params) {
  if (params.empty()) return absl::InvalidArgumentError("GradientBucketer: no parameters");
  std::unordered_set<const void*> seen;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& p = params[i];
    std::string problem;
    if (!p.defined()) {
      problem = "is undefined";
    } else if (!p.requires_grad() || !p.is_leaf()) {
      problem = "is not a leaf that requires grad (pass only trainable parameters)";
    } else if (p.layout() != c10::kStrided || !c10::isFloatingType(p.scalar_type())) {
      problem = "is not a dense floating-point tensor";
    } else if (p.device() != collective.device()) {
      problem = absl::StrCat("is on ", p.device().str(), ", the ", collective.backend(), " group on ",
                             collective.device().str());
    } else if (!seen.insert(p.unsafeGetTensorImpl()).second) {
      problem = "is listed twice";
    }
    if (!problem.empty()) return absl::InvalidArgumentError(absl::StrCat("GradientBucketer: parameter ", i, " ", problem));
  }
  return absl::OkStatus();
}

}  // namespace

struct GradientBucketer::State {
  State(Collective& c, std::vector<at::Tensor> p, BucketerOptions o)
      : collective(c), params(std::move(p)), options(o) {}

  // The hook of parameter `index` (autograd thread, before the gradient is accumulated into .grad()).
  void OnGradient(int index, const at::Tensor& grad) {
    absl::MutexLock lock(&mu);
    if (!sync) return;
    Slot& slot = slots[static_cast<size_t>(index)];
    if (slot.ready) {
      RecordError(absl::FailedPreconditionError(absl::StrCat(
          "GradientBucketer: parameter ", index, " got a second gradient in one synchronised step "
          "(call set_sync(false) before every backward but the last of an accumulation window)")));
      return;
    }
    Bucket& bucket = buckets[static_cast<size_t>(slot.bucket)];
    at::NoGradGuard no_grad;
    at::Tensor view = bucket.buffer.narrow(0, slot.offset, slot.numel);
    if (grad.is_sparse() || grad.numel() != slot.numel) {
      RecordError(absl::FailedPreconditionError(absl::StrCat(
          "GradientBucketer: parameter ", index, " got a sparse or wrongly sized gradient")));
      view.zero_();
    } else {
      view.copy_(grad.reshape({-1}));
      const at::Tensor& accumulated = params[static_cast<size_t>(index)].grad();
      if (accumulated.defined()) view.add_(accumulated.reshape({-1}));
    }
    slot.ready = true;
    if (--bucket.pending == 0) LaunchReady();
  }

  // Starts the complete buckets from next_bucket on, in order.
  void LaunchReady() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    while (next_bucket < buckets.size() && buckets[next_bucket].pending == 0) {
      Bucket& bucket = buckets[next_bucket++];
      auto work = collective.AllReduceAverage({bucket.buffer});
      if (work.ok()) {
        bucket.work = std::move(*work);
      } else {
        RecordError(work.status());
      }
    }
  }

  void RecordError(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (error.ok()) error = std::move(status);
  }

  void Reset() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (Slot& slot : slots) slot.ready = false;
    for (Bucket& bucket : buckets) {
      bucket.pending = bucket.params.size();
      bucket.work.reset();
    }
    next_bucket = 0;
    error = absl::OkStatus();
  }

  absl::Status Finish() {
    absl::MutexLock lock(&mu);
    if (!sync) return absl::OkStatus();
    at::NoGradGuard no_grad;
    // Parameters without a gradient in this backward contribute .grad() (earlier micro-batches) or 0.
    for (size_t b = next_bucket; b < buckets.size(); ++b) {
      Bucket& bucket = buckets[b];
      for (int index : bucket.params) {
        Slot& slot = slots[static_cast<size_t>(index)];
        if (slot.ready) continue;
        at::Tensor view = bucket.buffer.narrow(0, slot.offset, slot.numel);
        const at::Tensor& grad = params[static_cast<size_t>(index)].grad();
        if (grad.defined()) {
          view.copy_(grad.reshape({-1}));
        } else {
          view.zero_();
        }
      }
      bucket.pending = 0;
    }
    LaunchReady();
    at::Tensor used;
    std::unique_ptr<CollectiveWork> used_work;
    if (options.track_unused) {
      used = torch::zeros({static_cast<int64_t>(params.size())}, torch::kFloat32);
      auto flags = used.accessor<float, 1>();
      for (size_t i = 0; i < params.size(); ++i) {
        flags[static_cast<int64_t>(i)] = (slots[i].ready || params[i].grad().defined()) ? 1.0f : 0.0f;
      }
      used = used.to(collective.device());
      auto work = collective.AllReduceSum({used});
      if (work.ok()) {
        used_work = std::move(*work);
      } else {
        RecordError(work.status());
      }
    }
    absl::Status status = error;
    for (Bucket& bucket : buckets) {
      if (bucket.work == nullptr) continue;
      absl::Status waited = bucket.work->Wait();
      if (status.ok() && !waited.ok()) status = waited;
    }
    if (used_work != nullptr) {
      absl::Status waited = used_work->Wait();
      if (status.ok() && !waited.ok()) status = waited;
    }
    if (status.ok()) WriteBack(used);
    Reset();
    return status;
  }

  void WriteBack(const at::Tensor& used) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const at::Tensor used_cpu = used.defined() ? used.to(torch::kCPU).contiguous() : at::Tensor();
    const float* used_by = used_cpu.defined() ? used_cpu.data_ptr<float>() : nullptr;
    for (size_t i = 0; i < params.size(); ++i) {
      if (used_by != nullptr && used_by[i] == 0.0f) continue;  // no rank had a gradient: keep undefined
      const Slot& slot = slots[i];
      at::Tensor& param = params[i];
      at::Tensor averaged =
          buckets[static_cast<size_t>(slot.bucket)].buffer.narrow(0, slot.offset, slot.numel).view(param.sizes());
      at::Tensor& grad = param.mutable_grad();
      if (grad.defined()) {
        grad.copy_(averaged);
      } else {
        grad = averaged.clone();
      }
    }
  }

  Collective& collective;
  std::vector<at::Tensor> params;
  const BucketerOptions options;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::vector<unsigned> hooks;

  absl::Mutex mu;
  bool sync ABSL_GUARDED_BY(mu) = true;
  size_t next_bucket ABSL_GUARDED_BY(mu) = 0;
  absl::Status error ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::unique_ptr<GradientBucketer>> GradientBucketer::Create(Collective& collective,
                                                                         std::vector<at::Tensor> parameters,
                                                                         BucketerOptions options) {
  if (options.bucket_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("GradientBucketer: bucket_bytes must be >= 1 (got ", options.bucket_bytes, ")"));
  }
  if (absl::Status status = CheckParameters(collective, parameters); !status.ok()) return status;
  auto state = std::make_unique<State>(collective, std::move(parameters), options);
  state->slots.resize(state->params.size());
  for (std::vector<int>& members : Layout(state->params, options.bucket_bytes)) {
    Bucket bucket;
    int64_t offset = 0;
    for (int index : members) {
      Slot& slot = state->slots[static_cast<size_t>(index)];
      slot.bucket = static_cast<int>(state->buckets.size());
      slot.offset = offset;
      slot.numel = state->params[static_cast<size_t>(index)].numel();
      offset += slot.numel;
    }
    const at::Tensor& first = state->params[static_cast<size_t>(members.front())];
    bucket.buffer = torch::zeros({offset}, first.options().requires_grad(false));
    bucket.pending = members.size();
    bucket.params = std::move(members);
    state->buckets.push_back(std::move(bucket));
  }
  State* raw = state.get();
  for (size_t i = 0; i < raw->params.size(); ++i) {
    const int index = static_cast<int>(i);
    raw->hooks.push_back(
        raw->params[i].register_hook([raw, index](const at::Tensor& grad) { raw->OnGradient(index, grad); }));
  }
  return std::unique_ptr<GradientBucketer>(new GradientBucketer(std::move(state)));
}

GradientBucketer::GradientBucketer(std::unique_ptr<State> state) : state_(std::move(state)) {}

GradientBucketer::~GradientBucketer() {
  for (size_t i = 0; i < state_->params.size(); ++i) state_->params[i].remove_hook(state_->hooks[i]);
}

void GradientBucketer::set_sync(bool sync) {
  absl::MutexLock lock(&state_->mu);
  state_->sync = sync;
}

bool GradientBucketer::sync() const {
  absl::MutexLock lock(&state_->mu);
  return state_->sync;
}

absl::Status GradientBucketer::Finish() { return state_->Finish(); }

std::vector<std::vector<int>> GradientBucketer::bucket_layout() const {
  std::vector<std::vector<int>> layout;
  for (const Bucket& bucket : state_->buckets) layout.push_back(bucket.params);
  return layout;
}

int GradientBucketer::num_buckets() const { return static_cast<int>(state_->buckets.size()); }

}  // namespace ecgbench::worker::train
