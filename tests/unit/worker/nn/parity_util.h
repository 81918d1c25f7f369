// Shared pieces of the decoder tests (tests only): config parsing, temp dirs, a left-padded batch,
// a greedy cached generation run, and the parity check that writes the batch and our logits next
// to a saved model and runs a Python reference on them (reference_decoder.py for the Llama family,
// reference_gpt2_opt.py for GPT-2 / OPT; both print prefill_/decode_max_abs_diff=X). With
// ECGBENCH_NN_KEEP_CASES=DIR the model and the case are kept in DIR/<name> (bench/llm/hf_parity.py
// compares them with Hugging Face transformers where it is installed).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "common/model_io/model_config.h"
#include "common/model_io/safetensors_writer.h"
#include "tests/unit/testing/run_command.h"
#include "worker/nn/causal_lm.h"

namespace ecgbench::worker::nn::testing {

inline common::model_io::ModelConfig ParseConfig(const char* json) {
  absl::StatusOr<common::model_io::ModelConfig> config = common::model_io::ParseModelConfig(json, "config.json");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

// A fresh directory under the temp dir, unique per process.
inline std::filesystem::path FreshDir(const std::string& prefix, const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (prefix + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Left-padded batch: prompt lengths 7, 4 and 1 (pad id 0).
struct Batch {
  torch::Tensor ids, mask;
};
inline Batch MakeBatch(int64_t vocab) {
  torch::manual_seed(3);
  const torch::Tensor ids = torch::randint(1, vocab, {3, 7}, torch::kLong);
  torch::Tensor mask = torch::ones({3, 7}, torch::kLong);
  mask.index_put_({1, torch::indexing::Slice(0, 3)}, 0);
  mask.index_put_({2, torch::indexing::Slice(0, 6)}, 0);
  return {ids * mask, mask};
}

struct GenerationRun {
  torch::Tensor prefill, tokens, decode;  // [B, L, V], [B, S], [B, S, V]
};
// Prefill, then `steps` greedy cached decode steps (any model with forward(DecoderInputs, KvCache*)
// and NewCache()).
template <typename Model>
GenerationRun GreedyRun(Model& model, const Batch& batch, int64_t steps) {
  torch::NoGradGuard no_grad;
  KvCache cache = model->NewCache();
  torch::Tensor mask = batch.mask;
  GenerationRun run;
  run.prefill = model->forward({batch.ids, {}, mask, {}}, &cache);
  torch::Tensor last = run.prefill.select(1, -1);
  std::vector<torch::Tensor> tokens, logits;
  for (int64_t s = 0; s < steps; ++s) {
    const torch::Tensor next = last.argmax(-1);
    tokens.push_back(next);
    mask = torch::cat({mask, torch::ones({mask.size(0), 1}, torch::kLong)}, 1);
    last = model->forward({next.unsqueeze(1), {}, mask, {}}, &cache).select(1, 0);
    logits.push_back(last);
  }
  run.tokens = torch::stack(tokens, 1).contiguous();
  run.decode = torch::stack(logits, 1).contiguous();
  return run;
}

inline double ParseDiff(const std::string& output, const std::string& key) {
  const size_t at = output.find(key + "=");
  if (at == std::string::npos) return 1e30;
  return std::strtod(output.c_str() + at + key.size() + 1, nullptr);
}

// Writes the batch and our logits into `dir` (which holds the saved model), runs `script` on them
// and expects <= 1e-4 max abs difference on prefill and decode.
inline void ExpectReferenceAgrees(const std::string& name, const std::string& script, const std::filesystem::path& dir,
                                  const Batch& batch, const GenerationRun& run) {
  using common::model_io::DType;
  common::model_io::SafetensorsWriter writer;
  const torch::Tensor ids = batch.ids.contiguous(), mask = batch.mask.contiguous();
  for (const auto& [key, t] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"input_ids", ids}, {"attention_mask", mask}, {"decode_tokens", run.tokens}}) {
    ASSERT_TRUE(writer.Add(key, DType::kI64, t.sizes().vec(), t.data_ptr(), t.numel() * sizeof(int64_t)).ok());
  }
  for (const auto& [key, t] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"prefill_logits", run.prefill.contiguous()}, {"decode_logits", run.decode}}) {
    ASSERT_TRUE(writer.AddFloat32(key, t.sizes().vec(), {t.data_ptr<float>(), static_cast<size_t>(t.numel())}).ok());
  }
  const std::filesystem::path case_file = dir / "case.safetensors";
  ASSERT_TRUE(writer.Write(case_file.string()).ok());
  const test_support::CommandResult r =
      test_support::RunCommand("/usr/bin/python3 " + script + " " + dir.string() + " " + case_file.string());
  ASSERT_TRUE(r.ok()) << script << " failed (needs python3-torch: scripts/install-deps.sh):\n" << r.output;
  std::cout << name << ": " << r.output;
  EXPECT_LE(ParseDiff(r.output, "prefill_max_abs_diff"), 1e-4) << r.output;
  EXPECT_LE(ParseDiff(r.output, "decode_max_abs_diff"), 1e-4) << r.output;
  if (const char* keep = std::getenv("ECGBENCH_NN_KEEP_CASES"); keep != nullptr && *keep != '\0') {
    const std::filesystem::path to = std::filesystem::path(keep) / name;
    std::filesystem::remove_all(to);
    std::filesystem::create_directories(to.parent_path());
    std::filesystem::copy(dir, to, std::filesystem::copy_options::recursive);
  }
}

}  // namespace ecgbench::worker::nn::testing
