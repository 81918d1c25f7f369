// bench/llm: the C++ side of the LLM benchmark (run.sh runs it next to reference_llama.py).
// For one Llama config ("20m" or "120m") it writes a seeded random fp32 model to --dir once
// (config.json + model.safetensors via SaveCausalLM; kept when present, so the Python side loads
// the same file), loads it back with LoadCausalLM and measures, on --threads intra-op threads:
//   decode  batch 1 and batch 8: prefill PREFILL tokens into a KvCache, then --steps greedy steps
//           (one forward of the chosen tokens each); only the steps are timed; tokens/s = B * steps / s
//   train   one forward + backward of batch 4 x 128 tokens, cross-entropy on shifted labels, no
//           optimizer (gradients cleared between repetitions, outside the timed region)
// Each figure is the median of --reps timed repetitions after one warm-up. Prompts are the same
// formula as reference_llama.py's. Prints one line:
//   params=N decode_b1_tok_s=X decode_b8_tok_s=Y train_step_s=Z loss=L greedy=H
// (loss of the training batch and a hash of the batch-8 greedy tokens, to check that both sides
// run the same model). Exit 1 with a message on any error.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_io/model_config.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/causal_lm_io.h"

namespace ecgbench::worker::nn {
namespace {

constexpr int64_t kPrefill = 32;
constexpr int64_t kTrainBatch = 4;
constexpr int64_t kTrainLength = 128;
constexpr uint64_t kSeed = 1234;
constexpr double kInitStddev = 0.02;

// Same shapes as reference_llama.py reads back from config.json.
constexpr char k20M[] = R"({"model_type": "llama", "vocab_size": 8192, "hidden_size": 384,
  "intermediate_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 6, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "rope_theta": 10000.0, "hidden_act": "silu",
  "tie_word_embeddings": false})";
constexpr char k120M[] = R"({"model_type": "llama", "vocab_size": 32000, "hidden_size": 768,
  "intermediate_size": 2048, "num_hidden_layers": 12, "num_attention_heads": 12, "num_key_value_heads": 4,
  "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "rope_theta": 10000.0, "hidden_act": "silu",
  "tie_word_embeddings": false})";

struct Options {
  std::string size;
  std::string dir;
  int threads = 0;
  int64_t steps = 64;
  int reps = 3;
  std::string only;  // "b1", "b8" or "train": run only that measurement (for profiling); empty: all
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// ids[b, t] = (b * 131 + t * 17 + 7) % vocab, as in reference_llama.py.
torch::Tensor Prompt(int64_t batch, int64_t length, int64_t vocab) {
  const torch::Tensor b = torch::arange(batch, torch::kLong).unsqueeze(1);
  const torch::Tensor t = torch::arange(length, torch::kLong).unsqueeze(0);
  return (b * 131 + t * 17 + 7).remainder(vocab);
}

// One prefill + `steps` timed greedy steps; returns the steps' seconds, the tokens in *tokens.
double DecodeOnce(CausalLM& model, int64_t batch, int64_t steps, torch::Tensor* tokens) {
  KvCache cache = model->NewCache();
  DecoderInputs inputs;
  inputs.input_ids = Prompt(batch, kPrefill, model->config().vocab_size);
  torch::Tensor logits = model->forward(inputs, &cache);
  *tokens = torch::empty({batch, steps}, torch::kLong);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    inputs.input_ids = logits.select(1, -1).argmax(-1, /*keepdim=*/true);
    tokens->select(1, s).copy_(inputs.input_ids.squeeze(1));
    logits = model->forward(inputs, &cache);
  }
  return Seconds(start);
}

// Median decode tokens/s over `reps` runs after a warm-up.
double DecodeTokensPerSecond(CausalLM& model, int64_t batch, const Options& options, torch::Tensor* tokens) {
  torch::NoGradGuard no_grad;
  model->eval();
  DecodeOnce(model, batch, std::min<int64_t>(options.steps, 8), tokens);
  std::vector<double> rates;
  for (int r = 0; r < options.reps; ++r) {
    rates.push_back(static_cast<double>(batch * options.steps) / DecodeOnce(model, batch, options.steps, tokens));
  }
  return Median(rates);
}

// Median seconds of forward + backward over `reps` runs after a warm-up; the loss in *loss.
double TrainStepSeconds(CausalLM& model, const Options& options, double* loss) {
  model->train();
  const int64_t vocab = model->config().vocab_size;
  DecoderInputs inputs;
  inputs.input_ids = Prompt(kTrainBatch, kTrainLength, vocab);
  const torch::Tensor labels = inputs.input_ids.narrow(1, 1, kTrainLength - 1).reshape({-1});
  std::vector<double> times;
  for (int r = 0; r <= options.reps; ++r) {
    model->zero_grad(/*set_to_none=*/true);
    const auto start = std::chrono::steady_clock::now();
    const torch::Tensor logits = model->forward(inputs);
    const torch::Tensor value = torch::nn::functional::cross_entropy(
        logits.narrow(1, 0, kTrainLength - 1).reshape({-1, vocab}), labels);
    value.backward();
    const double seconds = Seconds(start);
    if (r > 0) times.push_back(seconds);
    *loss = value.item<double>();
  }
  model->zero_grad(/*set_to_none=*/true);
  return Median(times);
}

// Bytes of the parameters a decode step reads: all but the token embeddings (a step gathers B rows
// of them), unless the logits reuse them (tied).
int64_t DecodeWeightBytes(CausalLM& model) {
  int64_t bytes = 0;
  for (const auto& item : model->named_parameters()) {
    if (item.key() == "model.embed_tokens.weight" && model->lm_head) continue;
    bytes += item.value().numel() * static_cast<int64_t>(item.value().element_size());
  }
  return bytes;
}

// Memory bandwidth on a buffer of `bytes`, best of 5 after a warm-up, in GB/s (1e9 bytes/s):
// *read_threads: sum of a float32 buffer on --threads threads (bytes read / s); *read_one: the same
// on one thread; *copy: std::memcpy on one thread (bytes copied / s; each is read and written).
void MeasureBandwidth(int64_t bytes, int threads, double* read_threads, double* read_one, double* copy) {
  const torch::Tensor source = torch::rand({bytes / 4});
  torch::Tensor target = torch::empty_like(source);
  const auto best = [](const std::function<void()>& run) {
    run();
    double fastest = 1e30;
    for (int r = 0; r < 5; ++r) {
      const auto start = std::chrono::steady_clock::now();
      run();
      fastest = std::min(fastest, Seconds(start));
    }
    return fastest;
  };
  const double size = static_cast<double>(source.numel() * 4);
  *read_threads = size / best([&] { source.sum().item<float>(); }) / 1e9;
  at::set_num_threads(1);
  *read_one = size / best([&] { source.sum().item<float>(); }) / 1e9;
  at::set_num_threads(threads);
  *copy = size / best([&] { std::memcpy(target.data_ptr(), source.data_ptr(), source.numel() * 4); }) / 1e9;
}

// Max |difference| between the logits of one cached decode step in inference (no autograd: split
// and fused projections, no mask) and the same position of a full forward with autograd on (the
// plain path), on the prompt of batch 1: the optimised inference path computes the same model.
double InferenceMatchesGraph(CausalLM& model) {
  model->eval();
  const torch::Tensor ids = Prompt(1, kPrefill + 1, model->config().vocab_size);
  torch::Tensor step;
  {
    torch::NoGradGuard no_grad;
    KvCache cache = model->NewCache();
    DecoderInputs inputs;
    inputs.input_ids = ids.narrow(1, 0, kPrefill);
    model->forward(inputs, &cache);
    inputs.input_ids = ids.narrow(1, kPrefill, 1);
    step = model->forward(inputs, &cache).select(1, 0);
  }
  DecoderInputs inputs;
  inputs.input_ids = ids;
  const torch::Tensor full = model->forward(inputs).select(1, kPrefill).detach();
  model->zero_grad(/*set_to_none=*/true);
  return (step - full).abs().max().item<double>();
}

// Position-weighted sum of the tokens, modulo 1e9 (equal tokens give equal hashes).
int64_t TokenHash(const torch::Tensor& tokens) {
  const torch::Tensor flat = tokens.reshape({-1});
  const torch::Tensor weights = torch::arange(1, flat.numel() + 1, torch::kLong);
  return (flat * weights).sum().item<int64_t>() % 1000000000;
}

int Run(const Options& options) {
  const char* json = options.size == "20m" ? k20M : options.size == "120m" ? k120M : nullptr;
  if (json == nullptr) {
    std::fprintf(stderr, "--size: expected 20m or 120m, got '%s'\n", options.size.c_str());
    return 1;
  }
  at::set_num_threads(options.threads);
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(options.dir) / "model.safetensors")) {
    absl::StatusOr<common::model_io::ModelConfig> config = common::model_io::ParseModelConfig(json, "config.json");
    if (!config.ok()) {
      std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<CausalLM> fresh = CreateCausalLM(*config);
    if (!fresh.ok()) {
      std::fprintf(stderr, "%s\n", fresh.status().ToString().c_str());
      return 1;
    }
    RandomInit(*fresh, kSeed, kInitStddev);
    const absl::Status saved = SaveCausalLM(*fresh, options.dir);
    if (!saved.ok()) {
      std::fprintf(stderr, "%s\n", saved.ToString().c_str());
      return 1;
    }
  }
  absl::StatusOr<CausalLM> model = LoadCausalLM(options.dir);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  int64_t params = 0;
  for (const torch::Tensor& p : (*model)->parameters()) params += p.numel();

  const double check = InferenceMatchesGraph(*model);
  torch::Tensor tokens = torch::zeros({1}, torch::kLong);
  const auto wanted = [&](const char* name) { return options.only.empty() || options.only == name; };
  const double b1 = wanted("b1") ? DecodeTokensPerSecond(*model, 1, options, &tokens) : 0;
  const double b8 = wanted("b8") ? DecodeTokensPerSecond(*model, 8, options, &tokens) : 0;
  const int64_t hash = TokenHash(tokens);
  double loss = 0;
  const double train = wanted("train") ? TrainStepSeconds(*model, options, &loss) : 0;
  const int64_t weight_bytes = DecodeWeightBytes(*model);
  double read_threads = 0, read_one = 0, copy = 0;
  if (options.only.empty()) MeasureBandwidth(weight_bytes, options.threads, &read_threads, &read_one, &copy);
  std::printf(
      "params=%lld decode_b1_tok_s=%.2f decode_b8_tok_s=%.2f train_step_s=%.4f loss=%.6f greedy=%lld "
      "check_max_diff=%.3g decode_weight_bytes=%lld read_gb_s=%.2f read1_gb_s=%.2f memcpy_gb_s=%.2f\n",
      static_cast<long long>(params), b1, b8, train, loss, static_cast<long long>(hash), check,
      static_cast<long long>(weight_bytes), read_threads, read_one, copy);
  return 0;
}

int ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: missing value\n", flag.c_str());
      return 1;
    }
    const std::string value = argv[++i];
    try {
      if (flag == "--size") {
        options->size = value;
      } else if (flag == "--dir") {
        options->dir = value;
      } else if (flag == "--threads") {
        options->threads = std::stoi(value);
      } else if (flag == "--steps") {
        options->steps = std::stoll(value);
      } else if (flag == "--reps") {
        options->reps = std::stoi(value);
      } else if (flag == "--only") {
        options->only = value;
      } else {
        std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
        return 1;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "%s: not a number: '%s'\n", flag.c_str(), value.c_str());
      return 1;
    }
  }
  if (options->dir.empty() || options->threads < 1 || options->steps < 1 || options->reps < 1) {
    std::fprintf(stderr,
                 "usage: ecgbench_llm_bench --size 20m|120m --dir DIR --threads T>=1 [--steps N>=1] [--reps R>=1]\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ecgbench::worker::nn

int main(int argc, char** argv) {
  ecgbench::worker::nn::Options options;
  if (ecgbench::worker::nn::ParseArgs(argc, argv, &options) != 0) return 1;
  try {
    return ecgbench::worker::nn::Run(options);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "LibTorch error: %s\n", e.what_without_backtrace());
    return 1;
  }
}
