// SegmentBatcher: a small fixed thread pool whose threads each own a RepresentationBuilder and build
// the rows of one batch straight into the output tensor (dense kinds) or into per-row id vectors
// that the calling thread collates (token).
#include "worker/data/segment_batcher.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/repr/batch/representation_builder.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

using common::repr::RepresentationBuilder;
using common::repr::RepresentationOptions;

inline constexpr int kMaxBatcherThreads = 256;

struct SegmentBatcher::State {
  const common::ecg::SegmentStore* store = nullptr;
  std::vector<int64_t> segments;
  RepresentationOptions options;
  SegmentBatcherOptions batcher;
  int64_t length = 0;
  std::vector<std::unique_ptr<RepresentationBuilder>> builders;  // builders[t] belongs to thread t
  std::vector<int64_t> row_shape;  // dense kinds
  int64_t row_size = 0;            // product of row_shape

  // The current job (written by the caller before it bumps `generation`, read by the threads after).
  absl::Span<const int64_t> job_samples;
  int job_epoch = 0;
  float* job_dense = nullptr;  // dense kinds: [B x row_size]
  bool* job_has_ecg = nullptr;  // [B]
  std::atomic<int64_t> next_row{0};
  std::vector<std::vector<int32_t>> token_rows;  // token: one per row, capacity kept across batches
  std::vector<absl::Status> row_status;

  std::mutex mu;
  std::condition_variable start_cv, done_cv;
  uint64_t generation = 0;
  int running = 0;  // threads still working on the current generation
  bool stop = false;
  std::vector<std::thread> threads;

  // Builds rows until none is left, with builders[t].
  void RunRows(int t) {
    RepresentationBuilder& builder = *builders[static_cast<size_t>(t)];
    const int64_t rows = static_cast<int64_t>(job_samples.size());
    for (int64_t b = next_row.fetch_add(1); b < rows; b = next_row.fetch_add(1)) {
      const int64_t sample = job_samples[static_cast<size_t>(b)];
      const float* segment = store->Segment(segments[static_cast<size_t>(sample)]);
      absl::Status status;
      if (builder.is_dense()) {
        status = builder.BuildDense(segment, length, sample, job_epoch,
                                    absl::MakeSpan(job_dense + b * row_size, static_cast<size_t>(row_size)),
                                    &job_has_ecg[b]);
      } else {
        status = builder.BuildTokens(segment, length, sample, job_epoch, &token_rows[static_cast<size_t>(b)],
                                     &job_has_ecg[b]);
      }
      row_status[static_cast<size_t>(b)] = std::move(status);
    }
  }

  void ThreadMain(int t) {
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu);
        start_cv.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
      }
      RunRows(t);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (--running == 0) done_cv.notify_one();
      }
    }
  }

  // Runs the current job on every thread (the caller is thread 0) and waits for all of them.
  void RunJob() {
    next_row.store(0);
    {
      std::lock_guard<std::mutex> lock(mu);
      running = static_cast<int>(threads.size());
      ++generation;
    }
    start_cv.notify_all();
    RunRows(0);
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return running == 0; });
  }
};

absl::StatusOr<std::unique_ptr<SegmentBatcher>> SegmentBatcher::Create(const common::ecg::SegmentStore* store,
                                                                      std::vector<int64_t> segments,
                                                                      RepresentationOptions options,
                                                                      const SegmentBatcherOptions& batcher_options) {
  if (store == nullptr) return absl::InvalidArgumentError("segment batcher: store is null");
  if (store->num_leads() != common::repr::kSegmentLeads) {
    return absl::InvalidArgumentError(absl::StrCat("segment batcher: store ", store->dir(), " has ",
                                                   store->num_leads(), " leads, expected 12"));
  }
  if (batcher_options.num_threads < 1 || batcher_options.num_threads > kMaxBatcherThreads) {
    return absl::InvalidArgumentError(absl::StrCat("segment batcher: num_threads must be in 1..", kMaxBatcherThreads,
                                                   ", got ", batcher_options.num_threads));
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i] < 0 || segments[i] >= store->size()) {
      return absl::InvalidArgumentError(absl::StrCat("segments[", i, "]: ", segments[i], " is outside the store of ",
                                                     store->size(), " segments"));
    }
  }
  options.sampling_rate_hz = store->sampling_rate_hz();
  auto state = std::make_unique<State>();
  state->store = store;
  state->segments = std::move(segments);
  state->options = options;
  state->batcher = batcher_options;
  state->length = store->segment_length();
  for (int t = 0; t < batcher_options.num_threads; ++t) {
    ECGBENCH_ASSIGN_OR_RETURN(auto builder, RepresentationBuilder::Create(options));
    state->builders.push_back(std::move(builder));
  }
  if (state->builders[0]->is_dense()) {
    ECGBENCH_ASSIGN_OR_RETURN(state->row_shape, state->builders[0]->DenseShape(state->length));
    state->row_size = 1;
    for (const int64_t d : state->row_shape) state->row_size *= d;
  }
  State* raw = state.get();
  for (int t = 1; t < batcher_options.num_threads; ++t) {
    raw->threads.emplace_back([raw, t] { raw->ThreadMain(t); });
  }
  return std::unique_ptr<SegmentBatcher>(new SegmentBatcher(std::move(state)));
}

SegmentBatcher::SegmentBatcher(std::unique_ptr<State> state) : s_(std::move(state)) {}

SegmentBatcher::~SegmentBatcher() {
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->stop = true;
  }
  s_->start_cv.notify_all();
  for (std::thread& t : s_->threads) t.join();
}

int64_t SegmentBatcher::size() const { return static_cast<int64_t>(s_->segments.size()); }
const RepresentationOptions& SegmentBatcher::options() const { return s_->options; }
const std::vector<int64_t>& SegmentBatcher::row_shape() const { return s_->row_shape; }

absl::StatusOr<SegmentBatch> SegmentBatcher::Batch(absl::Span<const int64_t> samples, int epoch) {
  if (epoch < 0) return absl::InvalidArgumentError(absl::StrCat("segment batcher: epoch ", epoch, " < 0"));
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i] < 0 || samples[i] >= size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("samples[", i, "]: ", samples[i], " is outside 0..", size() - 1));
    }
  }
  State& s = *s_;
  const int64_t rows = static_cast<int64_t>(samples.size());
  const bool dense = !s.row_shape.empty();
  SegmentBatch batch;
  batch.samples.assign(samples.begin(), samples.end());
  try {
    batch.has_ecg = torch::empty({rows}, torch::kBool);
    if (dense) {
      std::vector<int64_t> shape = {rows};
      shape.insert(shape.end(), s.row_shape.begin(), s.row_shape.end());
      batch.inputs = torch::empty(shape, torch::kFloat32);
      s.job_dense = batch.inputs.data_ptr<float>();
    } else {
      if (s.token_rows.size() < samples.size()) s.token_rows.resize(samples.size());
      s.job_dense = nullptr;
    }
  } catch (const c10::Error& e) {
    return absl::ResourceExhaustedError(absl::StrCat("segment batcher: cannot allocate a batch of ", rows,
                                                     " rows: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("segment batcher: cannot allocate a batch of ", rows, " rows"));
  }
  s.job_samples = samples;
  s.job_epoch = epoch;
  s.job_has_ecg = batch.has_ecg.data_ptr<bool>();
  s.row_status.assign(samples.size(), absl::OkStatus());
  if (rows > 0) s.RunJob();
  for (int64_t b = 0; b < rows; ++b) {
    const absl::Status& status = s.row_status[static_cast<size_t>(b)];
    if (!status.ok()) {
      const int64_t sample = samples[static_cast<size_t>(b)];
      return absl::Status(status.code(), absl::StrCat("row ", b, " (sample ", sample, ", segment ",
                                                      s.segments[static_cast<size_t>(sample)], "): ", status.message()));
    }
  }
  if (dense) return batch;

  // Token: left-pad the rows to the longest one.
  int64_t t_max = 0;
  for (int64_t b = 0; b < rows; ++b) {
    t_max = std::max(t_max, static_cast<int64_t>(s.token_rows[static_cast<size_t>(b)].size()));
  }
  try {
    batch.inputs = torch::full({rows, t_max}, s.batcher.pad_id, torch::kInt64);
    batch.attention_mask = torch::zeros({rows, t_max}, torch::kInt64);
  } catch (const c10::Error& e) {
    return absl::ResourceExhaustedError(absl::StrCat("segment batcher: cannot allocate [", rows, ", ", t_max,
                                                     "] token tensors: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("segment batcher: cannot allocate [", rows, ", ", t_max, "] token tensors"));
  }
  int64_t* ids = batch.inputs.data_ptr<int64_t>();
  int64_t* mask = batch.attention_mask.data_ptr<int64_t>();
  for (int64_t b = 0; b < rows; ++b) {
    const std::vector<int32_t>& row = s.token_rows[static_cast<size_t>(b)];
    const int64_t offset = b * t_max + (t_max - static_cast<int64_t>(row.size()));
    std::copy(row.begin(), row.end(), ids + offset);
    std::fill(mask + offset, mask + (b + 1) * t_max, int64_t{1});
  }
  return batch;
}

}  // namespace ecgbench::worker
