// ElmLoader: builder threads that each build whole batches (representation, chat rendering,
// budget, collation) into a reorder buffer of at most `prefetch` batches; Next hands them out in
// order (elm_loader.h).
#include "worker/data/elm_loader.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/repr/batch/representation_builder.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace text = common::text;
using common::repr::RepresentationBuilder;
using common::repr::RepresentationKind;
using common::repr::RepresentationOptions;

namespace {

constexpr int kMaxLoaderThreads = 64;

// Per-thread buffers, reused from batch to batch.
struct Scratch {
  std::vector<int32_t> ecg_ids;     // kEcgByte: the segment's ECG-Byte ids
  std::vector<int32_t> mapped_ids;  // kEcgByte: the same as LLM ids
  std::vector<text::TrainingSequence> sequences;
};

}  // namespace

struct ElmLoader::State {
  // Constant after Create.
  const ElmDataset* dataset = nullptr;
  std::vector<int64_t> split;
  const common::ecg::SegmentStore* store = nullptr;
  const ElmExampleBuilder* examples = nullptr;
  RepresentationOptions repr;
  ElmLoaderOptions options;
  EcgSlot slot = EcgSlot::kNone;
  bool pin = false;
  int64_t length = 0;              // samples per lead of the store's segments
  std::vector<int64_t> row_shape;  // kPlaceholders: one encoder input
  int64_t row_size = 0;
  std::vector<std::unique_ptr<RepresentationBuilder>> builders;  // builders[t] belongs to thread t

  // Read by the builders between rows without the lock.
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> live_generation{0};

  // State below is protected by mu.
  mutable std::mutex mu;
  std::condition_variable work_cv;   // builders wait for work
  std::condition_variable ready_cv;  // Next waits for its batch
  bool stop = false;
  bool started = false;
  uint64_t generation = 0;  // bumped by Start: results of older generations are dropped
  std::shared_ptr<const std::vector<int64_t>> order;
  int64_t epoch = 0;
  int64_t num_batches = 0;
  int64_t consumed = 0;  // the batch Next returns next
  int64_t claimed = 0;   // the batch a builder takes next
  std::map<int64_t, absl::StatusOr<ElmLoaderBatch>> ready;
  ElmLoaderStats stats;

  std::vector<std::thread> threads;
  std::once_flag joined;

  int64_t NumBatches(int64_t n) const {
    const int64_t b = options.batch_size;
    return options.drop_last ? n / b : (n + b - 1) / b;
  }

  void ThreadMain(int t) {
    Scratch scratch;
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      work_cv.wait(lock, [&] {
        return stop || (started && claimed < num_batches && claimed < consumed + options.prefetch);
      });
      if (stop) return;
      const int64_t k = claimed++;
      const uint64_t gen = generation;
      const int64_t batch_epoch = epoch;
      const std::shared_ptr<const std::vector<int64_t>> batch_order = order;
      lock.unlock();
      absl::StatusOr<ElmLoaderBatch> batch = BuildBatch(t, *batch_order, batch_epoch, k, gen, &scratch);
      lock.lock();
      if (stop || gen != generation) continue;  // a Start or Stop came meanwhile
      ready.emplace(k, std::move(batch));
      ready_cv.notify_all();
    }
  }

  absl::StatusOr<ElmLoaderBatch> BuildBatch(int t, const std::vector<int64_t>& order, int64_t batch_epoch, int64_t k,
                                            uint64_t gen, Scratch* scratch) {
    try {
      return BuildBatchOrThrow(t, order, batch_epoch, k, gen, scratch);
    } catch (const c10::Error& e) {
      return absl::ResourceExhaustedError(absl::StrCat("ELM loader: epoch ", batch_epoch, " batch ", k, ": ",
                                                       e.what_without_backtrace()));
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ELM loader: epoch ", batch_epoch, " batch ", k, ": out of memory"));
    }
  }

  absl::StatusOr<ElmLoaderBatch> BuildBatchOrThrow(int t, const std::vector<int64_t>& order, int64_t batch_epoch,
                                                   int64_t k, uint64_t gen, Scratch* scratch) {
    const int64_t begin = k * options.batch_size;
    const int64_t rows = std::min<int64_t>(options.batch_size, static_cast<int64_t>(order.size()) - begin);
    const torch::TensorOptions long_options = torch::TensorOptions(torch::kInt64).pinned_memory(pin);
    ElmLoaderBatch out;
    out.position = {batch_epoch, k};
    float* dense = nullptr;
    if (slot == EcgSlot::kPlaceholders) {
      std::vector<int64_t> shape = {rows};
      shape.insert(shape.end(), row_shape.begin(), row_shape.end());
      out.batch.encoder_input = torch::empty(shape, torch::TensorOptions(torch::kFloat32).pinned_memory(pin));
      dense = out.batch.encoder_input.data_ptr<float>();
    }
    if (scratch->sequences.size() < static_cast<size_t>(rows)) scratch->sequences.resize(static_cast<size_t>(rows));
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if (stopping.load(std::memory_order_relaxed) || live_generation.load(std::memory_order_relaxed) != gen) {
        return absl::CancelledError("ELM loader: stopped");
      }
      const int64_t example = split[static_cast<size_t>(order[static_cast<size_t>(begin + r)])];
      const ElmConversation& c = dataset->conversations[static_cast<size_t>(example)];
      const float* segment = store->Segment(c.segment);
      const int epoch_int = static_cast<int>(batch_epoch);
      absl::Status status;
      bool has_ecg = false;
      scratch->ecg_ids.clear();
      if (slot == EcgSlot::kEcgByte) {
        status = builders[static_cast<size_t>(t)]->BuildTokens(segment, length, example, epoch_int, &scratch->ecg_ids,
                                                              &has_ecg);
      } else if (slot == EcgSlot::kPlaceholders) {
        status = builders[static_cast<size_t>(t)]->BuildDense(
            segment, length, example, epoch_int,
            absl::MakeSpan(dense + kept * row_size, static_cast<size_t>(row_size)), &has_ecg);
      }
      if (status.ok()) {
        absl::StatusOr<text::BuiltSequence> built = examples->Build(c, scratch->ecg_ids, &scratch->mapped_ids);
        if (!built.ok()) {
          status = built.status();
        } else if (built->drop != text::DropReason::kNone) {
          status = absl::InvalidArgumentError(
              absl::StrCat("dropped (", text::DropReasonName(built->drop), "): ", built->reason));
        } else {
          text::TrainingSequence& s = built->sequence;
          if (slot == EcgSlot::kEcgByte) {
            const int64_t kept_ecg = s.ecg_begin >= 0 ? s.ecg_end - s.ecg_begin : 0;
            out.ecg_tokens_dropped += static_cast<int64_t>(scratch->ecg_ids.size()) - kept_ecg;
          }
          scratch->sequences[static_cast<size_t>(kept)] = std::move(s);
          out.examples.push_back(example);
          ++kept;
          continue;
        }
      }
      std::string reason = absl::StrCat("epoch ", batch_epoch, " batch ", k, " row ", r, ": example ", example,
                                        " (conversation \"", c.id, "\", segment ", c.segment, "): ", status.message());
      if (options.policy == BadSamplePolicy::kFail) return absl::Status(status.code(), reason);
      ++out.skipped;
      out.skipped_reasons.push_back(std::move(reason));
    }
    Collate(kept, long_options, scratch, &out);
    if (dense != nullptr && kept < rows) out.batch.encoder_input = out.batch.encoder_input.narrow(0, 0, kept);
    return out;
  }

  // input_ids, labels and attention_mask from the first `kept` sequences.
  void Collate(int64_t kept, const torch::TensorOptions& long_options, Scratch* scratch, ElmLoaderBatch* out) const {
    const int64_t max_len = examples->options().max_tokens;
    int64_t min_pad = max_len;
    for (int64_t b = 0; b < kept; ++b) min_pad = std::min(min_pad, scratch->sequences[static_cast<size_t>(b)].num_pad);
    const int64_t len = options.trim_padding ? max_len - min_pad : max_len;
    const int64_t skip = max_len - len;  // leading columns that are padding in every row
    out->batch.input_ids = torch::empty({kept, len}, long_options);
    out->batch.labels = torch::empty({kept, len}, long_options);
    out->batch.attention_mask = torch::empty({kept, len}, long_options);
    int64_t* ids = out->batch.input_ids.data_ptr<int64_t>();
    int64_t* labels = out->batch.labels.data_ptr<int64_t>();
    int64_t* mask = out->batch.attention_mask.data_ptr<int64_t>();
    for (int64_t b = 0; b < kept; ++b) {
      const text::TrainingSequence& s = scratch->sequences[static_cast<size_t>(b)];
      const size_t from = static_cast<size_t>(skip);
      const int64_t row = b * len;
      int64_t labeled = 0;
      for (int64_t i = 0; i < len; ++i) {
        const size_t at = from + static_cast<size_t>(i);
        ids[row + i] = s.input_ids[at];
        labels[row + i] = s.labels[at];
        mask[row + i] = s.attention_mask[at];
        labeled += s.labels[at] != text::kIgnoreLabel ? 1 : 0;
      }
      out->tokens += max_len - s.num_pad;
      out->labeled_tokens += labeled;
    }
  }
};

absl::StatusOr<std::unique_ptr<ElmLoader>> ElmLoader::Create(const ElmDataset* dataset, std::vector<int64_t> split,
                                                            const common::ecg::SegmentStore* store,
                                                            const ElmExampleBuilder* examples,
                                                            RepresentationOptions repr,
                                                            const ElmLoaderOptions& options) {
  if (dataset == nullptr || store == nullptr || examples == nullptr) {
    return absl::InvalidArgumentError("ELM loader: dataset, store and example builder are required");
  }
  if (store->num_leads() != common::repr::kSegmentLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("ELM loader: store ", store->dir(), " has ", store->num_leads(), " leads, expected 12"));
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: batch_size ", options.batch_size, " must be >= 1"));
  }
  if (options.num_threads < 1 || options.num_threads > kMaxLoaderThreads) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: num_threads must be in 1..", kMaxLoaderThreads,
                                                   ", got ", options.num_threads));
  }
  if (options.prefetch < 1) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: prefetch ", options.prefetch, " must be >= 1"));
  }
  const auto num_conversations = static_cast<int64_t>(dataset->conversations.size());
  for (size_t i = 0; i < split.size(); ++i) {
    if (split[i] < 0 || split[i] >= num_conversations) {
      return absl::InvalidArgumentError(absl::StrCat("ELM loader: split[", i, "]: ", split[i],
                                                     " is outside the dataset's ", num_conversations,
                                                     " conversations"));
    }
  }
  const EcgSlot slot = examples->options().slot;
  const bool token = repr.kind == RepresentationKind::kToken;
  if (slot == EcgSlot::kEcgByte && !token) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: the ECG-Byte slot needs representation kind token, got ",
                                                   std::string(common::repr::RepresentationKindName(repr.kind))));
  }
  if (slot == EcgSlot::kPlaceholders && token) {
    return absl::InvalidArgumentError(
        "ELM loader: placeholder slots need a dense representation (signal, stacked_signal, image), got token");
  }
  if (slot != EcgSlot::kNone && repr.perturbation == common::repr::Perturbation::kNoSignal) {
    return absl::InvalidArgumentError("ELM loader: perturb no_signal needs the text-only slot (EcgSlot::kNone)");
  }
  const bool cuda = torch::cuda::is_available();
  if (options.pin_memory == PinMemory::kOn && !cuda) {
    return absl::InvalidArgumentError("ELM loader: pin_memory on needs CUDA, which this LibTorch does not see");
  }
  repr.sampling_rate_hz = store->sampling_rate_hz();
  auto state = std::make_unique<State>();
  state->dataset = dataset;
  state->split = std::move(split);
  state->store = store;
  state->examples = examples;
  state->repr = repr;
  state->options = options;
  state->slot = slot;
  state->pin = options.pin_memory == PinMemory::kOn || (options.pin_memory == PinMemory::kAuto && cuda);
  state->length = store->segment_length();
  if (slot != EcgSlot::kNone) {
    for (int t = 0; t < options.num_threads; ++t) {
      ECGBENCH_ASSIGN_OR_RETURN(auto builder, RepresentationBuilder::Create(repr));
      state->builders.push_back(std::move(builder));
    }
    if (slot == EcgSlot::kPlaceholders) {
      ECGBENCH_ASSIGN_OR_RETURN(state->row_shape, state->builders[0]->DenseShape(state->length));
      state->row_size = 1;
      for (const int64_t d : state->row_shape) state->row_size *= d;
    }
  }
  State* raw = state.get();
  for (int t = 0; t < options.num_threads; ++t) raw->threads.emplace_back([raw, t] { raw->ThreadMain(t); });
  return std::unique_ptr<ElmLoader>(new ElmLoader(std::move(state)));
}

ElmLoader::ElmLoader(std::unique_ptr<State> state) : s_(std::move(state)) {}

ElmLoader::~ElmLoader() { Stop(); }

int64_t ElmLoader::split_size() const { return static_cast<int64_t>(s_->split.size()); }

int64_t ElmLoader::NumBatches(int64_t order_size) const { return s_->NumBatches(order_size); }

absl::Status ElmLoader::Start(ElmLoaderPosition position, std::vector<int64_t> order) {
  if (position.epoch < 0 || position.epoch > INT_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: epoch ", position.epoch, " is outside 0..", INT_MAX));
  }
  const int64_t size = split_size();
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] < 0 || order[i] >= size) {
      return absl::InvalidArgumentError(
          absl::StrCat("ELM loader: order[", i, "]: ", order[i], " is outside the split of ", size, " examples"));
    }
  }
  const int64_t num_batches = s_->NumBatches(static_cast<int64_t>(order.size()));
  if (position.batch < 0 || position.batch > num_batches) {
    return absl::InvalidArgumentError(absl::StrCat("ELM loader: batch ", position.batch, " is outside 0..",
                                                   num_batches, " (the epoch's batches)"));
  }
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->stop) return absl::CancelledError("ELM loader: stopped");
    s_->live_generation.store(++s_->generation);
    s_->ready.clear();
    s_->order = std::make_shared<const std::vector<int64_t>>(std::move(order));
    s_->epoch = position.epoch;
    s_->num_batches = num_batches;
    s_->consumed = s_->claimed = position.batch;
    s_->started = true;
  }
  s_->work_cv.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<ElmLoaderBatch> ElmLoader::Next() {
  State& s = *s_;
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.stop) return absl::CancelledError("ELM loader: stopped");
  if (!s.started) return absl::OutOfRangeError("ELM loader: no epoch started");
  if (s.consumed >= s.num_batches) {
    return absl::OutOfRangeError(absl::StrCat("ELM loader: end of epoch ", s.epoch, " (", s.num_batches, " batches)"));
  }
  const int64_t k = s.consumed;
  s.ready_cv.wait(lock, [&] { return s.stop || s.ready.count(k) > 0; });
  if (s.stop) return absl::CancelledError("ELM loader: stopped");
  auto node = s.ready.extract(k);
  ++s.consumed;
  s.stats.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  absl::StatusOr<ElmLoaderBatch> batch = std::move(node.mapped());
  if (batch.ok()) {
    ++s.stats.batches;
    s.stats.rows += static_cast<int64_t>(batch->examples.size());
    s.stats.skipped_rows += batch->skipped;
  }
  lock.unlock();
  s.work_cv.notify_all();
  return batch;
}

ElmLoaderPosition ElmLoader::position() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return {s_->epoch, s_->consumed};
}

void ElmLoader::Stop() {
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->stop = true;
    s_->stopping.store(true);
  }
  s_->work_cv.notify_all();
  s_->ready_cv.notify_all();
  std::call_once(s_->joined, [this] {
    for (std::thread& t : s_->threads) t.join();
  });
}

ElmLoaderStats ElmLoader::stats() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->stats;
}

bool ElmLoader::pinned() const { return s_->pin; }

}  // namespace ecgbench::worker
