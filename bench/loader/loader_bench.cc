// ecgbench_loader_bench: the C++ side of bench/loader/run.sh. Does the ELM loader alone sustain
// >= 5x what a training step consumes? On a synthetic run (synthetic_data.h), for the ECG-Byte ELM
// (kind token) and the encoder-free ELM (kind signal), batch 8, max_tokens 1024, min_ecg_tokens 250:
//   loader  batches/s of ElmLoader::Next over whole epochs (after 2 warm-up batches), the
//           builders on --loader-threads threads (and on one thread), prefetch 4, nothing else
//           running;
//   step    one training step of a ~20 M parameter Llama ELM on a batch from that loader: forward,
//           assistant-only loss, backward, clip 1.0, AdamW (full fine-tuning, fp32), median of
//           --reps after a warm-up, on --torch-threads threads.
// Prints one line per ELM and RESULT loader_batches_per_s=... step_batches_per_s=... ratio=... for
// the ELM with the smaller ratio (then each ELM's figures).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/loader/synthetic_data.h"
#include "common/model_io/model_config.h"
#include "common/text/chat/chat_render.h"
#include "common/text/tokenizer.h"
#include "worker/data/elm_loader.h"
#include "worker/nn/elm.h"
#include "worker/nn/language_model.h"
#include "worker/train/collective/shard_indices.h"
#include "worker/train/optimizer.h"

namespace ecgbench::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace repr = common::repr;
namespace text = common::text;

struct Options {
  std::string dir;
  int loader_threads = 2;
  int torch_threads = 2;
  int reps = 3;
  int conversations = 800;
  int epochs = 2;
  bool noise = true;  // --perturb noise (default) | none
};

struct Figures {
  std::string name;
  double loader_batches_per_s = 0;          // on --loader-threads threads
  double loader_1thread_batches_per_s = 0;  // on one thread
  double step_s = 0;
  double mean_tokens = 0;  // non-padding tokens per row
  double mean_ecg_dropped = 0;
  double ratio() const { return loader_batches_per_s * step_s; }
};

// ~20 M parameters: bench/llm's 20m Llama config with the vocabulary the tokenizer needs.
std::string ModelJson(int64_t vocab) {
  return absl::StrCat(R"({"model_type": "llama", "vocab_size": )", std::max<int64_t>(8192, vocab), R"(,
    "hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 6,
    "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "rope_theta": 10000.0,
    "hidden_act": "silu", "tie_word_embeddings": false})");
}

void MustOk(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, v.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(v);
}

// Loader batches/s over `epochs` epochs of the train split; *first gets the first batch.
double LoaderRate(const worker::ElmDataset& data, const SyntheticRun& run, const worker::ElmExampleBuilder& examples,
                  const repr::RepresentationOptions& representation, const Options& options, int threads,
                  worker::ElmLoaderBatch* first, Figures* figures) {
  worker::ElmLoaderOptions loader_options;
  loader_options.batch_size = 8;
  loader_options.num_threads = threads;
  loader_options.prefetch = 4;
  auto loader = Must(worker::ElmLoader::Create(&data, data.train, run.store.get(), &examples, representation,
                                               loader_options),
                     "loader");
  int64_t batches = 0, rows = 0, tokens = 0, dropped = 0;
  double seconds = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    worker::train::ShardOptions shard;
    shard.seed = 7;
    auto order = Must(worker::train::ShardIndices(static_cast<int64_t>(data.train.size()), 0, 1, epoch, shard), "shard");
    MustOk(loader->Start({epoch, 0}, std::move(order)), "start");
    Clock::time_point t0 = Clock::now();
    for (int64_t k = 0;; ++k) {
      absl::StatusOr<worker::ElmLoaderBatch> b = loader->Next();
      if (!b.ok()) {
        if (b.status().code() != absl::StatusCode::kOutOfRange) Must(std::move(b), "next");
        break;
      }
      if (epoch == 0 && k == 0) *first = *b;
      if (epoch == 0 && k < 2) {  // warm-up: thread start, first allocations
        t0 = Clock::now();
        continue;
      }
      ++batches;
      rows += static_cast<int64_t>(b->examples.size());
      tokens += b->tokens;
      dropped += b->ecg_tokens_dropped;
    }
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  figures->mean_tokens = static_cast<double>(tokens) / static_cast<double>(std::max<int64_t>(1, rows));
  figures->mean_ecg_dropped = static_cast<double>(dropped) / static_cast<double>(std::max<int64_t>(1, rows));
  return static_cast<double>(batches) / seconds;
}

// Median seconds of one training step on `batch`.
double StepSeconds(worker::nn::ElmKind kind, int64_t vocab, int32_t placeholder, const worker::nn::ElmBatch& batch,
                   const Options& options) {
  const auto config = Must(common::model_io::ParseModelConfig(ModelJson(vocab), "config.json"), "config");
  auto llm = Must(worker::nn::CreateLanguageModel(config), "model");
  llm->RandomInit(1, 0.02);
  worker::nn::ElmOptions elm_options;
  elm_options.kind = kind;
  elm_options.placeholder_id = placeholder;
  elm_options.signal_length = 1250;
  worker::nn::Elm elm(std::move(llm), nullptr, elm_options);
  elm.Train(true);
  auto optimizer = Must(worker::train::Optimizer::Create(elm.TrainableParameters(), {}), "optimizer");
  std::vector<double> times;
  for (int r = 0; r <= options.reps; ++r) {
    const Clock::time_point t0 = Clock::now();
    optimizer.ZeroGrad();
    const worker::nn::LossSum loss = elm.Loss(batch);
    (loss.sum / static_cast<double>(std::max<int64_t>(1, loss.tokens))).backward();
    optimizer.ClipGradNorm(1.0);
    optimizer.Step(1e-4);
    if (r > 0) times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

Figures RunElm(bool ecg_byte, const SyntheticRun& run, const Options& options) {
  auto tokenizer = Must(text::LoadTokenizer(run.tokenizer_path), "tokenizer");
  const int32_t placeholder = tokenizer->AddTokens({"<signal>"}, true)[0];
  std::vector<std::string> ecg_tokens;
  for (int i = 0; i < run.ecg_byte->vocab_size(); ++i) ecg_tokens.push_back(absl::StrCat("signal_", i));
  const int32_t offset = tokenizer->AddTokens(ecg_tokens, false)[0];
  const text::ChatTemplate tmpl = text::Llama3ChatTemplate();
  worker::ElmExampleOptions example_options;
  example_options.slot = ecg_byte ? worker::EcgSlot::kEcgByte : worker::EcgSlot::kPlaceholders;
  example_options.num_placeholders = 1;
  example_options.placeholder_id = placeholder;
  example_options.ecg_token_offset = offset;
  example_options.max_tokens = 1024;
  example_options.min_ecg_tokens = 250;
  example_options.pad_id = Must(text::PadTokenId(tmpl, *tokenizer), "pad");
  example_options.system_prompt = BenchSystemPrompt();
  const auto examples = Must(worker::ElmExampleBuilder::Create(tokenizer.get(), tmpl, example_options), "examples");
  worker::ElmDatasetOptions data_options;
  data_options.num_threads = options.loader_threads;
  const worker::ElmDataset data = Must(
      worker::LoadElmDataset({run.conversations_path, run.store.get(), &run.folds, 0}, examples, data_options), "data");
  repr::RepresentationOptions representation;
  representation.kind = ecg_byte ? repr::RepresentationKind::kToken : repr::RepresentationKind::kSignal;
  representation.perturbation = options.noise ? repr::Perturbation::kNoise : repr::Perturbation::kNone;
  representation.tokenizer = run.ecg_byte;
  representation.seed = 3;

  Figures f;
  f.name = ecg_byte ? "ecg_byte" : "signal";
  worker::ElmLoaderBatch first;
  f.loader_1thread_batches_per_s = LoaderRate(data, run, examples, representation, options, 1, &first, &f);
  f.loader_batches_per_s =
      LoaderRate(data, run, examples, representation, options, options.loader_threads, &first, &f);
  if (options.reps > 0) {
    f.step_s = StepSeconds(ecg_byte ? worker::nn::ElmKind::kEcgByte : worker::nn::ElmKind::kEncoderFree,
                           tokenizer->vocab_size(), placeholder, first.batch, options);
  }
  const std::string step = options.reps == 0 ? std::string("step skipped")
                                              : absl::StrFormat("step_s=%.3f step_batches_per_s=%.3f ratio=%.1f",
                                                                f.step_s, 1.0 / f.step_s, f.ratio());
  std::printf(
      "%-8s train=%zu loader_batches_per_s=%.1f (%d threads; 1 thread: %.1f) %s batch=[%lld, %lld] "
      "tokens_per_row=%.0f ecg_tokens_dropped_per_row=%.0f vocab=%d\n",
      f.name.c_str(), data.train.size(), f.loader_batches_per_s, options.loader_threads,
      f.loader_1thread_batches_per_s, step.c_str(), static_cast<long long>(first.batch.input_ids.size(0)),
      static_cast<long long>(first.batch.input_ids.size(1)), f.mean_tokens, f.mean_ecg_dropped,
      tokenizer->vocab_size());
  std::fflush(stdout);
  return f;
}

int ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") {
      o->dir = value;
    } else if (flag == "--loader-threads") {
      o->loader_threads = std::atoi(value.c_str());
    } else if (flag == "--torch-threads") {
      o->torch_threads = std::atoi(value.c_str());
    } else if (flag == "--reps") {
      o->reps = std::atoi(value.c_str());
    } else if (flag == "--conversations") {
      o->conversations = std::atoi(value.c_str());
    } else if (flag == "--epochs") {
      o->epochs = std::atoi(value.c_str());
    } else if (flag == "--perturb" && (value == "noise" || value == "none")) {
      o->noise = value == "noise";
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  if (o->dir.empty() || o->loader_threads < 1 || o->torch_threads < 1 || o->reps < 0 || o->conversations < 80 ||
      o->epochs < 1 || argc % 2 != 1) {
    std::fprintf(stderr,
                 "usage: ecgbench_loader_bench --dir DIR [--loader-threads T] [--torch-threads T] [--reps R (0: loader only)] "
                 "[--conversations N>=80] [--epochs E] [--perturb noise|none]\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ecgbench::bench

int main(int argc, char** argv) {
  using namespace ecgbench::bench;  // NOLINT
  Options options;
  if (ParseArgs(argc, argv, &options) != 0) return 1;
  at::set_num_threads(options.torch_threads);
  SyntheticRunOptions data;
  data.conversations = options.conversations;
  const SyntheticRun run = Must(WriteSyntheticRun(options.dir, data), "synthetic data");
  const Figures token = RunElm(true, run, options);
  const Figures signal = RunElm(false, run, options);
  if (options.reps == 0) {
    std::printf("RESULT ecg_byte_loader_batches_per_s=%.1f signal_loader_batches_per_s=%.1f "
                "ecg_byte_loader_1thread_batches_per_s=%.1f signal_loader_1thread_batches_per_s=%.1f\n",
                token.loader_batches_per_s, signal.loader_batches_per_s, token.loader_1thread_batches_per_s,
                signal.loader_1thread_batches_per_s);
    return 0;
  }
  const Figures& worst = token.ratio() < signal.ratio() ? token : signal;
  std::printf(
      "RESULT loader_batches_per_s=%.1f step_batches_per_s=%.3f ratio=%.1f worst=%s ecg_byte_loader_batches_per_s=%.1f "
      "ecg_byte_step_batches_per_s=%.3f ecg_byte_ratio=%.1f signal_loader_batches_per_s=%.1f "
      "signal_step_batches_per_s=%.3f signal_ratio=%.1f ecg_byte_loader_1thread_batches_per_s=%.1f "
      "signal_loader_1thread_batches_per_s=%.1f\n",
      worst.loader_batches_per_s, 1.0 / worst.step_s, worst.ratio(), worst.name.c_str(), token.loader_batches_per_s,
      1.0 / token.step_s, token.ratio(), signal.loader_batches_per_s, 1.0 / signal.step_s, signal.ratio(),
      token.loader_1thread_batches_per_s, signal.loader_1thread_batches_per_s);
  return 0;
}
