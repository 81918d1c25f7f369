// A small, randomly initialised Llama-architecture model folder in Hugging Face's layout
// (config.json, model.safetensors, tokenizer.json, generation_config.json), for tests, benchmarks
// and the quickstart: no real LLM weights can be downloaded on the machines this project builds
// on, so the pipeline runs end to end on this stand-in. The tokenizer is byte-level BPE without
// merges (one token per byte, GPT-2's byte-to-unicode map) plus Llama 3's special tokens, so the
// llama3 chat template renders exactly as for a real Llama 3 (only the text costs more tokens).
// It is not a language model: its outputs are meaningless until trained.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ecgbench::worker::nn {

struct RandomModelOptions {
  int64_t hidden_size = 64;
  int64_t intermediate_size = 128;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t max_positions = 2048;
  bool tie_word_embeddings = true;
  uint64_t seed = 0;
  double stddev = 0.02;
};

// Writes the folder (creates `dir`; each file atomically). Vocabulary: 256 bytes, then
// <|begin_of_text|> 256, <|end_of_text|> 257, <|start_header_id|> 258, <|end_header_id|> 259,
// <|eot_id|> 260.
absl::Status WriteRandomModelFolder(const std::string& dir, const RandomModelOptions& options = {});

// The tokenizer.json alone (byte-level, no merges, the special tokens above).
std::string ByteLevelLlama3TokenizerJson();

}  // namespace ecgbench::worker::nn
