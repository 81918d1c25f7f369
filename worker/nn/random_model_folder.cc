// A random Llama-architecture model folder with a byte-level tokenizer (see random_model_folder.h).
#include "worker/nn/random_model_folder.h"

#include <memory>
#include <vector>

#include "common/model_io/model_config.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {
namespace {

using json = nlohmann::json;

const char* const kSpecials[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                                 "<|eot_id|>"};
constexpr int kVocab = 256 + 5;

// GPT-2's byte-to-unicode map: printable bytes map to themselves, the rest to 256 + n.
std::string ByteSymbol(int b, int* shifted) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
  const int cp = printable ? b : 256 + (*shifted)++;
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

}  // namespace

std::string ByteLevelLlama3TokenizerJson() {
  json vocab = json::object();
  int shifted = 0;
  for (int b = 0; b < 256; ++b) vocab[ByteSymbol(b, &shifted)] = b;
  json added = json::array();
  for (int i = 0; i < 5; ++i) {
    added.push_back({{"id", 256 + i}, {"content", kSpecials[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  return json{{"version", "1.0"},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}}}
      .dump();
}

absl::Status WriteRandomModelFolder(const std::string& dir, const RandomModelOptions& o) {
  const json config = {{"architectures", {"LlamaForCausalLM"}},
                       {"model_type", "llama"},
                       {"vocab_size", kVocab},
                       {"hidden_size", o.hidden_size},
                       {"intermediate_size", o.intermediate_size},
                       {"num_hidden_layers", o.layers},
                       {"num_attention_heads", o.heads},
                       {"num_key_value_heads", o.kv_heads},
                       {"rms_norm_eps", 1e-5},
                       {"max_position_embeddings", o.max_positions},
                       {"hidden_act", "silu"},
                       {"rope_theta", 500000.0},
                       {"bos_token_id", 256},
                       {"eos_token_id", 260},
                       {"tie_word_embeddings", o.tie_word_embeddings},
                       {"torch_dtype", "float32"}};
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig parsed,
                            common::model_io::ParseModelConfig(config.dump(), dir + "/config.json"));
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<LanguageModel> model, CreateLanguageModel(parsed));
  model->RandomInit(o.seed, o.stddev);
  ECGBENCH_RETURN_IF_ERROR(model->Save(dir));
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(dir + "/tokenizer.json", ByteLevelLlama3TokenizerJson()));
  const json generation = {{"bos_token_id", 256}, {"eos_token_id", {257, 260}}, {"do_sample", false}};
  return common::WriteFileAtomic(dir + "/generation_config.json", generation.dump(2) + "\n");
}

}  // namespace ecgbench::worker::nn
