// Randomly initialised model folders in Hugging Face's layout (config.json, model.safetensors,
// tokenizer.json, generation_config.json): no real LLM weights can be downloaded on the machines
// this project builds on, so the pipeline runs end to end on such stand-ins (tests, benchmarks, the
// quickstart). They are not language models: their outputs are meaningless until trained.
//
// InitModelFolder (`ecgbench-worker --init-model`) takes any config.json CreateLanguageModel
// supports and a tokenizer (e.g. one `ecgbench text train` wrote); WriteRandomModelFolder is the
// small Llama with a merge-free byte-level tokenizer that tests use, built on the same function.
//
// Writing: `dir` is created; every file is written atomically, config.json last, so a folder with a
// config.json is complete. Errors name the file and the reason. Thread-safety: none needed (no
// shared state); each call builds its own model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/model_config.h"
#include "common/text/tokenizer.h"

namespace ecgbench::worker::nn {

// The ids a model config and generation_config.json need, from the tokenizer's special tokens by
// chat-template family (the first family whose tokens the tokenizer has):
//   llama3  bos <|begin_of_text|>, eos <|eot_id|>, generation eos [<|end_of_text|>, <|eot_id|>]
//   chatml  bos <|endoftext|>,     eos <|im_end|>, generation eos [<|im_end|>, <|endoftext|>]
//   gemma   bos <bos>,             eos <eos>,      generation eos [<eos>, <end_of_turn>]
//   gpt2    bos <|endoftext|>,     eos <|endoftext|>, generation eos [<|endoftext|>]
struct SpecialTokenIds {
  std::string family;
  int64_t bos = 0;
  int64_t eos = 0;
  std::vector<int64_t> generation_eos;
};

// InvalidArgument "<source>: none of the special tokens of llama3 (...), chatml, gemma or gpt2".
absl::StatusOr<SpecialTokenIds> ResolveSpecialTokenIds(const common::text::Tokenizer& tokenizer, const std::string& source);

struct InitModelOptions {
  uint64_t seed = 0;
  double stddev = 0.02;  // normal init of every weight matrix (norms 1, biases 0)
};

struct InitializedModel {
  int64_t vocab_size = 0;
  int64_t parameters = 0;
  SpecialTokenIds specials;
};

// Writes `dir`: config.json is `config` with vocab_size = tokenizer.vocab_size(), bos/eos from
// ResolveSpecialTokenIds, pad_token_id dropped (it named an id of another tokenizer), torch_dtype
// float32;
// model.safetensors (float32, RandomInit(seed, stddev)); tokenizer.json = `tokenizer_json`
// verbatim (the text `tokenizer` was loaded from); generation_config.json (bos, generation eos,
// do_sample false).
absl::StatusOr<InitializedModel> WriteInitializedModelFolder(common::model_io::ModelConfig config,
                                                             const common::text::Tokenizer& tokenizer,
                                                             const std::string& tokenizer_json, const std::string& dir,
                                                             const InitModelOptions& options);

// `ecgbench-worker --init-model`: reads `config_path` (a config.json, or a folder holding one) and
// `tokenizer_path` (a tokenizer.json, or a folder holding one), then WriteInitializedModelFolder.
// Nothing is written when either input is missing or malformed.
absl::StatusOr<InitializedModel> InitModelFolder(const std::string& config_path, const std::string& tokenizer_path,
                                                 const std::string& dir, const InitModelOptions& options);

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

// A small Llama (rope_theta 500000, float32) with ByteLevelLlama3TokenizerJson. Vocabulary: 256
// bytes, then <|begin_of_text|> 256, <|end_of_text|> 257, <|start_header_id|> 258,
// <|end_header_id|> 259, <|eot_id|> 260.
absl::Status WriteRandomModelFolder(const std::string& dir, const RandomModelOptions& options = {});

// The tokenizer.json alone (byte-level, no merges, the special tokens above).
std::string ByteLevelLlama3TokenizerJson();

}  // namespace ecgbench::worker::nn
