// Randomly initialised model folders from a config and a tokenizer (see random_model_folder.h).
#include "worker/nn/random_model_folder.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {
namespace {

using json = nlohmann::json;

const char* const kLlama3Specials[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                                       "<|eot_id|>"};

struct Family {
  const char* name;
  const char* bos;
  const char* eos;
  std::vector<const char*> generation_eos;
};

// In detection order: the first family whose tokens the tokenizer has all of wins.
const std::vector<Family>& Families() {
  static const auto* const kFamilies = new std::vector<Family>{
      {"llama3", "<|begin_of_text|>", "<|eot_id|>", {"<|end_of_text|>", "<|eot_id|>"}},
      {"chatml", "<|endoftext|>", "<|im_end|>", {"<|im_end|>", "<|endoftext|>"}},
      {"gemma", "<bos>", "<eos>", {"<eos>", "<end_of_turn>"}},
      {"gpt2", "<|endoftext|>", "<|endoftext|>", {"<|endoftext|>"}},
  };
  return *kFamilies;
}

// A config.json or tokenizer.json path: the file itself, or `name` inside a folder.
std::string FileIn(const std::string& path, const char* name) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? (std::filesystem::path(path) / name).string() : path;
}

}  // namespace

absl::StatusOr<SpecialTokenIds> ResolveSpecialTokenIds(const common::text::Tokenizer& tokenizer, const std::string& source) {
  for (const Family& f : Families()) {
    const std::optional<int32_t> bos = tokenizer.TokenToId(f.bos), eos = tokenizer.TokenToId(f.eos);
    if (!bos || !eos) continue;
    SpecialTokenIds ids{f.name, *bos, *eos, {}};
    bool complete = true;
    for (const char* token : f.generation_eos) {
      const std::optional<int32_t> id = tokenizer.TokenToId(token);
      complete = complete && id.has_value();
      if (id) ids.generation_eos.push_back(*id);
    }
    if (complete) return ids;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      source, ": none of the special-token sets is complete: llama3 (<|begin_of_text|>, <|end_of_text|>, <|eot_id|>), "
              "chatml (<|endoftext|>, <|im_end|>), gemma (<bos>, <eos>, <end_of_turn>) or gpt2 (<|endoftext|>); "
              "`ecgbench text train --specials` adds one"));
}

absl::StatusOr<InitializedModel> WriteInitializedModelFolder(common::model_io::ModelConfig config,
                                                             const common::text::Tokenizer& tokenizer,
                                                             const std::string& tokenizer_json, const std::string& dir,
                                                             const InitModelOptions& options) {
  const std::string tokenizer_file = (std::filesystem::path(dir) / "tokenizer.json").string();
  ECGBENCH_ASSIGN_OR_RETURN(SpecialTokenIds specials, ResolveSpecialTokenIds(tokenizer, tokenizer_file));
  config.vocab_size = tokenizer.vocab_size();
  config.bos_token_id = specials.bos;
  config.eos_token_ids = {specials.eos};
  config.pad_token_id.reset();
  config.torch_dtype = "float32";  // Save writes float32 weights
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<LanguageModel> model, CreateLanguageModel(config));
  model->RandomInit(options.seed, options.stddev);
  InitializedModel out;
  out.vocab_size = config.vocab_size;
  for (const auto& p : model->module().parameters(/*recurse=*/true)) out.parameters += p.numel();
  // config.json (written by Save after the weights) goes last: it marks the folder complete.
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(tokenizer_file, tokenizer_json));
  const json generation = {{"bos_token_id", specials.bos}, {"eos_token_id", specials.generation_eos}, {"do_sample", false}};
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic((std::filesystem::path(dir) / "generation_config.json").string(),
                                                   generation.dump(2) + "\n"));
  ECGBENCH_RETURN_IF_ERROR(model->Save(dir));
  out.specials = std::move(specials);
  return out;
}

absl::StatusOr<InitializedModel> InitModelFolder(const std::string& config_path, const std::string& tokenizer_path,
                                                 const std::string& dir, const InitModelOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig config, common::model_io::LoadModelConfig(config_path));
  const std::string tokenizer_file = FileIn(tokenizer_path, "tokenizer.json");
  if (!common::FileExists(tokenizer_file)) return absl::NotFoundError(absl::StrCat(tokenizer_file, ": no such file"));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string tokenizer_json, common::ReadFile(tokenizer_file));
  ECGBENCH_ASSIGN_OR_RETURN(const std::unique_ptr<common::text::Tokenizer> tokenizer, common::text::LoadTokenizer(tokenizer_file));
  ECGBENCH_RETURN_IF_ERROR(ResolveSpecialTokenIds(*tokenizer, tokenizer_file).status());
  return WriteInitializedModelFolder(config, *tokenizer, tokenizer_json, dir, options);
}

std::string ByteLevelLlama3TokenizerJson() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    common::text::AppendUtf8(common::text::ByteToUnicode(static_cast<uint8_t>(b)), &symbol);
    vocab[symbol] = b;
  }
  json added = json::array();
  for (int i = 0; i < 5; ++i) {
    added.push_back({{"id", 256 + i}, {"content", kLlama3Specials[i]}, {"single_word", false}, {"lstrip", false},
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
                       {"vocab_size", 256 + 5},
                       {"hidden_size", o.hidden_size},
                       {"intermediate_size", o.intermediate_size},
                       {"num_hidden_layers", o.layers},
                       {"num_attention_heads", o.heads},
                       {"num_key_value_heads", o.kv_heads},
                       {"rms_norm_eps", 1e-5},
                       {"max_position_embeddings", o.max_positions},
                       {"hidden_act", "silu"},
                       {"rope_theta", 500000.0},
                       {"tie_word_embeddings", o.tie_word_embeddings},
                       {"torch_dtype", "float32"}};
  const std::string config_file = (std::filesystem::path(dir) / "config.json").string();
  ECGBENCH_ASSIGN_OR_RETURN(common::model_io::ModelConfig parsed, common::model_io::ParseModelConfig(config.dump(), config_file));
  const std::string tokenizer_json = ByteLevelLlama3TokenizerJson();
  const std::string tokenizer_file = (std::filesystem::path(dir) / "tokenizer.json").string();
  ECGBENCH_ASSIGN_OR_RETURN(common::text::TokenizerSpec spec, common::text::ParseTokenizerJson(tokenizer_json, tokenizer_file));
  ECGBENCH_ASSIGN_OR_RETURN(auto tokenizer, common::text::ByteLevelBpeTokenizer::Create(std::move(spec)));
  InitModelOptions init;
  init.seed = o.seed;
  init.stddev = o.stddev;
  return WriteInitializedModelFolder(std::move(parsed), *tokenizer, tokenizer_json, dir, init).status();
}

}  // namespace ecgbench::worker::nn
