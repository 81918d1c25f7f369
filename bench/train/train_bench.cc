// bench/train: the C++ side of the ELM training benchmark (run.sh runs it next to
// reference_train.py). On --threads intra-op threads it times training steps of one ELM (--kind
// ef: encoder-free, the flat signal [B, 12, 1250] through Linear(15000 -> hidden) written over one
// `<signal>` placeholder per row; byte: ECG-Byte, ECG symbols as vocabulary ids inside the
// sequence) in one regime (--regime lora: rank 16, alpha 32 on all seven projections, plus the
// projection; full: every LLM parameter plus the projection) on the 20m Llama config of bench/llm.
// One step = Elm::Loss (assistant-token cross-entropy, summed) / labeled tokens, backward,
// ClipGradNorm(1.0), AdamW Step (betas 0.9 / 0.99, eps 1e-8, weight decay 0.01), ZeroGrad.
//
// Files under --dir, shared with the Python side:
//   model/            config.json + model.safetensors (seeded random fp32 weights; written once)
//   data_L<len>_B<batch>.safetensors   fixed synthetic batches (written once, seeded): for each
//                     kind "<kind>.input_ids" / ".attention_mask" / ".labels" [K, B, len] and
//                     "ef.signal" [K, B, 12, 1250] (see WriteData for the layout)
//   init_<kind>_<regime>.safetensors   this run's trainable initial values that are not in the
//                     model: "projection.weight" / ".bias" (ef), the LoRA tensors under PEFT keys
// Step s uses batch s % K. --warmup steps run first, then --steps timed ones. Prints one line:
//   kind=.. regime=.. params=N trainable=M step_s=S samples_s=X fwd_s=F bwd_s=G opt_s=O cpu_s=C
//   loss_first=L0 loss_last=Ln losses=l0,l1,...
// (medians over the timed steps, wall-clock except cpu_s: the process's CPU seconds per step; the
// losses of every step, to check both sides run the same model). Like the worker, the program
// raises glibc's mmap and trim thresholds at start (common/util/allocator.h). --trace FILE writes
// the last step's autograd-profiler events (Chrome trace JSON; profiling slows that step).
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model_io/model_config.h"
#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/allocator.h"
#include "common/util/status_macros.h"
#include "worker/nn/elm.h"
#include "worker/nn/language_model.h"
#include "worker/nn/lora.h"
#include "worker/train/optimizer.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::DType;
using common::model_io::LoraTarget;
using common::model_io::SafetensorsWriter;

constexpr uint64_t kModelSeed = 1234;
constexpr double kInitStddev = 0.02;
constexpr uint64_t kDataSeed = 20261125;
constexpr uint64_t kProjectionSeed = 11;
constexpr uint64_t kLoraSeed = 13;
constexpr int64_t kBatches = 4;     // distinct batches, cycled
constexpr int64_t kLeads = 12;
constexpr int64_t kSamples = 1250;  // 5 s at 250 Hz
// Token ids: 0 pad, 1 BOS, 2 EOS (end of the answer), 3 the `<signal>` placeholder; text ids in
// [16, 4096); ECG-Byte symbols in [4096, vocab) (the added `signal_<id>` tokens of upstream).
constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kPlaceholder = 3, kFirstText = 16, kFirstEcg = 4096;

// The 20m config of bench/llm (llm_bench.cc).
constexpr char k20M[] = R"({"model_type": "llama", "vocab_size": 8192, "hidden_size": 384,
  "intermediate_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 6, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "rope_theta": 10000.0, "hidden_act": "silu",
  "tie_word_embeddings": false})";

struct Options {
  std::string dir, kind, regime;
  int threads = 0;
  int64_t batch = 8, length = 256;
  int steps = 5, warmup = 2;
  double lr = 1e-4;
  std::string trace;  // non-empty: the last step's autograd-profiler trace (Chrome JSON) goes here
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

absl::Status EnsureModel(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "model.safetensors")) return absl::OkStatus();
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig config,
                            common::model_io::ParseModelConfig(k20M, "config.json"));
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<LanguageModel> model, CreateLanguageModel(config));
  model->RandomInit(kModelSeed, kInitStddev);
  return model->Save(dir.string());
}

// Row layouts (left padding; row 0 of each batch is unpadded, the others carry U[0, 0.4 len]
// padding, ~20% of the batch on average; the last 25% of a row's real tokens are the answer, the
// only labeled ones, ending with EOS):
//   ef    BOS <signal> prompt text ... answer ... EOS
//   byte  BOS ECG symbols (55% of the real tokens) question text ... answer ... EOS
absl::Status WriteData(const std::filesystem::path& path, int64_t batch, int64_t length, int64_t vocab) {
  std::mt19937_64 rng(kDataSeed + static_cast<uint64_t>(length));
  const auto uniform = [&rng](int64_t low, int64_t high) {  // [low, high)
    return std::uniform_int_distribution<int64_t>(low, high - 1)(rng);
  };
  const int64_t cells = kBatches * batch * length;
  std::vector<torch::Tensor> keep;  // buffers the writer borrows until Write
  SafetensorsWriter writer;
  for (const std::string kind : {"ef", "byte"}) {
    torch::Tensor ids = torch::full({kBatches, batch, length}, kPad, torch::kLong);
    torch::Tensor mask = torch::zeros({kBatches, batch, length}, torch::kLong);
    torch::Tensor labels = torch::full({kBatches, batch, length}, -100, torch::kLong);
    int64_t* id = ids.data_ptr<int64_t>();
    int64_t* m = mask.data_ptr<int64_t>();
    int64_t* lab = labels.data_ptr<int64_t>();
    for (int64_t row = 0; row < kBatches * batch; ++row) {
      const int64_t pad = row % batch == 0 ? 0 : uniform(0, length * 2 / 5 + 1);
      const int64_t real = length - pad, answer = std::max<int64_t>(2, (real + 2) / 4);
      const int64_t ecg = kind == "byte" ? real * 55 / 100 : 0;
      int64_t* r = id + row * length;
      for (int64_t t = pad; t < length; ++t) {
        const int64_t k = t - pad;
        if (k == 0) {
          r[t] = kBos;
        } else if (kind == "ef" && k == 1) {
          r[t] = kPlaceholder;
        } else if (k <= ecg) {
          r[t] = uniform(kFirstEcg, vocab);
        } else if (t == length - 1) {
          r[t] = kEos;
        } else {
          r[t] = uniform(kFirstText, kFirstEcg);
        }
        m[row * length + t] = 1;
        if (t >= length - answer) lab[row * length + t] = r[t];
      }
    }
    for (auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{
             {".input_ids", ids}, {".attention_mask", mask}, {".labels", labels}}) {
      ECGBENCH_RETURN_IF_ERROR(writer.Add(kind + name, DType::kI64, {kBatches, batch, length}, t.data_ptr(),
                                          static_cast<size_t>(cells) * sizeof(int64_t)));
      keep.push_back(t);
    }
  }
  // Signals: values in [0, 1], as upstream's min-max normalisation leaves them.
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  torch::Tensor signal = torch::empty({kBatches, batch, kLeads, kSamples});
  float* s = signal.data_ptr<float>();
  for (int64_t i = 0; i < signal.numel(); ++i) s[i] = value(rng);
  ECGBENCH_RETURN_IF_ERROR(writer.Add("ef.signal", DType::kF32, {kBatches, batch, kLeads, kSamples}, s,
                                      static_cast<size_t>(signal.numel()) * sizeof(float)));
  keep.push_back(signal);
  return writer.Write(path.string());
}

absl::StatusOr<std::vector<ElmBatch>> ReadData(const std::filesystem::path& path, const std::string& kind) {
  ECGBENCH_ASSIGN_OR_RETURN(common::model_io::SafetensorsFile file,
                            common::model_io::SafetensorsFile::Open(path.string()));
  const auto tensor = [&](const std::string& name) -> absl::StatusOr<torch::Tensor> {
    ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::TensorView view, file.Tensor(name));
    const torch::ScalarType type = view.dtype == DType::kI64 ? torch::kLong : torch::kFloat;
    const std::vector<int64_t> shape(view.shape.begin(), view.shape.end());
    return torch::from_blob(const_cast<void*>(view.data), shape, type).clone();
  };
  ECGBENCH_ASSIGN_OR_RETURN(const torch::Tensor ids, tensor(kind + ".input_ids"));
  ECGBENCH_ASSIGN_OR_RETURN(const torch::Tensor mask, tensor(kind + ".attention_mask"));
  ECGBENCH_ASSIGN_OR_RETURN(const torch::Tensor labels, tensor(kind + ".labels"));
  torch::Tensor signal;
  if (kind == "ef") {
    ECGBENCH_ASSIGN_OR_RETURN(signal, tensor("ef.signal"));
  }
  std::vector<ElmBatch> batches;
  for (int64_t k = 0; k < ids.size(0); ++k) {
    batches.push_back({ids[k], mask[k], labels[k], kind == "ef" ? signal[k] : torch::Tensor()});
  }
  return batches;
}

// The trainable initial values the model files do not hold (projection, LoRA), for the Python side.
absl::Status WriteInit(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  SafetensorsWriter writer;
  for (const auto& [name, t] : named) {
    TORCH_CHECK(t.is_contiguous() && t.scalar_type() == torch::kFloat, name, ": not contiguous float32");
    ECGBENCH_RETURN_IF_ERROR(writer.Add(name, DType::kF32, t.sizes().vec(), t.data_ptr(),
                                        static_cast<size_t>(t.numel()) * sizeof(float)));
  }
  return writer.Write(path.string());
}

struct Timings {
  double step = 0, forward = 0, backward = 0, optimizer = 0, cpu = 0;  // medians over the timed steps
  std::vector<double> losses;                                          // every step's
};

// o.warmup + o.steps training steps, step s on batches[s % K].
Timings TrainSteps(Elm& elm, train::Optimizer& optimizer, const std::vector<ElmBatch>& batches, const Options& o) {
  elm.Train(true);
  std::vector<double> step_s, fwd_s, bwd_s, opt_s, cpu_s;
  Timings t;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    const ElmBatch& batch = batches[static_cast<size_t>(s) % batches.size()];
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    if (!o.trace.empty() && s + 1 == o.warmup + o.steps) {
      profile = std::make_unique<torch::autograd::profiler::RecordProfile>(o.trace);
    }
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    const LossSum sum = elm.Loss(batch);
    const torch::Tensor loss = sum.sum / static_cast<double>(sum.tokens);
    const double forward = Seconds(start);
    loss.backward();
    const double backward = Seconds(start);
    optimizer.ClipGradNorm(1.0);
    optimizer.Step(o.lr);
    optimizer.ZeroGrad();
    const double total = Seconds(start);
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    profile.reset();  // writes the trace
    t.losses.push_back(loss.item<double>());
    if (s < o.warmup) continue;
    step_s.push_back(total);
    fwd_s.push_back(forward);
    bwd_s.push_back(backward - forward);
    opt_s.push_back(total - backward);
    cpu_s.push_back(cpu);
  }
  t.step = Median(step_s);
  t.forward = Median(fwd_s);
  t.backward = Median(bwd_s);
  t.optimizer = Median(opt_s);
  t.cpu = Median(cpu_s);
  return t;
}

absl::Status Run(const Options& o) {
  namespace fs = std::filesystem;
  at::set_num_threads(o.threads);
  const fs::path dir(o.dir), model_dir = dir / "model";
  ECGBENCH_RETURN_IF_ERROR(EnsureModel(model_dir));
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<LanguageModel> llm, LoadLanguageModel(model_dir.string()));
  const fs::path data = dir / absl::StrCat("data_L", o.length, "_B", o.batch, ".safetensors");
  if (!fs::exists(data)) ECGBENCH_RETURN_IF_ERROR(WriteData(data, o.batch, o.length, llm->config().vocab_size));
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<ElmBatch> batches, ReadData(data, o.kind));

  int64_t params = 0;
  for (const torch::Tensor& p : llm->module().parameters()) params += p.numel();
  ElmOptions elm_options;
  elm_options.kind = o.kind == "ef" ? ElmKind::kEncoderFree : ElmKind::kEcgByte;
  elm_options.placeholder_id = kPlaceholder;
  elm_options.signal_leads = kLeads;
  elm_options.signal_length = kSamples;
  elm_options.seed = kProjectionSeed;
  Elm elm(std::move(llm), nullptr, elm_options);
  std::vector<std::pair<std::string, torch::Tensor>> trainable = elm.TrainableParameters();
  std::vector<std::pair<std::string, torch::Tensor>> init;
  if (elm.projection()) {
    params += elm.projection()->weight.numel() + elm.projection()->bias.numel();
    init = {trainable[0], trainable[1]};
  }
  LoraAdapter adapter{nullptr};
  if (o.regime == "lora") {
    LoraOptions lora;
    lora.rank = 16;
    lora.alpha = 32;
    lora.targets = {LoraTarget::kQ, LoraTarget::kK, LoraTarget::kV, LoraTarget::kO,
                    LoraTarget::kGate, LoraTarget::kUp, LoraTarget::kDown};
    lora.seed = kLoraSeed;
    ECGBENCH_ASSIGN_OR_RETURN(adapter, AttachLora(elm.llm(), lora));
    trainable = elm.TrainableParameters();  // the projection only: the LLM is frozen now
    for (auto& named : adapter->NamedPeftTensors()) {
      init.push_back(named);
      trainable.push_back(std::move(named));
    }
  }
  ECGBENCH_RETURN_IF_ERROR(WriteInit(dir / absl::StrCat("init_", o.kind, "_", o.regime, ".safetensors"), init));
  int64_t trainable_count = 0;
  for (const auto& [name, p] : trainable) trainable_count += p.numel();
  train::OptimizerOptions adamw;  // AdamW, betas (0.9, 0.99), eps 1e-8, weight decay 0.01
  ECGBENCH_ASSIGN_OR_RETURN(train::Optimizer optimizer, train::Optimizer::Create(trainable, adamw));

  const Timings t = TrainSteps(elm, optimizer, batches, o);
  std::string all;
  for (const double l : t.losses) absl::StrAppend(&all, all.empty() ? "" : ",", absl::StrFormat("%.7f", l));
  std::printf("kind=%s regime=%s params=%lld trainable=%lld step_s=%.4f samples_s=%.3f fwd_s=%.4f bwd_s=%.4f "
              "opt_s=%.4f cpu_s=%.4f loss_first=%.7f loss_last=%.7f losses=%s\n",
              o.kind.c_str(), o.regime.c_str(), static_cast<long long>(params),
              static_cast<long long>(trainable_count), t.step, static_cast<double>(o.batch) / t.step, t.forward,
              t.backward, t.optimizer, t.cpu, t.losses.front(), t.losses.back(), all.c_str());
  return absl::OkStatus();
}

int ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: missing value\n", flag.c_str());
      return 1;
    }
    const std::string value = argv[++i];
    try {
      if (flag == "--dir") {
        o->dir = value;
      } else if (flag == "--kind") {
        o->kind = value;
      } else if (flag == "--regime") {
        o->regime = value;
      } else if (flag == "--threads") {
        o->threads = std::stoi(value);
      } else if (flag == "--batch") {
        o->batch = std::stoll(value);
      } else if (flag == "--length") {
        o->length = std::stoll(value);
      } else if (flag == "--steps") {
        o->steps = std::stoi(value);
      } else if (flag == "--warmup") {
        o->warmup = std::stoi(value);
      } else if (flag == "--lr") {
        o->lr = std::stod(value);
      } else if (flag == "--trace") {
        o->trace = value;
      } else {
        std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
        return 1;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "%s: not a number: '%s'\n", flag.c_str(), value.c_str());
      return 1;
    }
  }
  if (o->dir.empty() || (o->kind != "ef" && o->kind != "byte") || (o->regime != "lora" && o->regime != "full") ||
      o->threads < 1 || o->batch < 1 || o->length < 16 || o->steps < 1 || o->warmup < 0 || !(o->lr > 0)) {
    std::fprintf(stderr,
                 "usage: ecgbench_train_bench --dir DIR --kind ef|byte --regime lora|full --threads T>=1 "
                 "[--batch B>=1] [--length L>=16] [--steps N>=1] [--warmup W>=0] [--lr LR>0] [--trace FILE]\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ecgbench::worker::nn

int main(int argc, char** argv) {
  ecgbench::common::TuneAllocatorForBatchWork();  // as the worker does at start-up (worker/main.cc)
  ecgbench::worker::nn::Options options;
  if (ecgbench::worker::nn::ParseArgs(argc, argv, &options) != 0) return 1;
  try {
    const absl::Status status = ecgbench::worker::nn::Run(options);
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
    return 0;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "LibTorch error: %s\n", e.what_without_backtrace());
    return 1;
  }
}
