// TokenizerSpec: what a tokenizer file says, parsed and checked, before a tokenizer is built from it.
// Sources: an HF tokenizer.json (ParseTokenizerJson) or GPT-2's vocab.json + merges.txt
// (ParseGpt2Files). Only the settings GPT-2, Llama 3, Qwen 2.5 and Gemma 2 use are accepted; any
// other value is InvalidArgument naming the file and the field, e.g.
// "tokenizer.json: field \"model.type\": Unigram is not supported (BPE only)". Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/tokenizers/bpe_model.h"
#include "common/text/tokenizers/pre_tokenizer.h"

namespace ecgbench::common::text {

struct NormalizerStep {
  enum class Kind { kNfc, kReplace, kPrepend };
  Kind kind = Kind::kNfc;
  std::string pattern;  // kReplace: the literal string replaced
  std::string content;  // kReplace: replacement; kPrepend: prefix (added to non-empty text)
};

struct DecoderStep {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip };
  Kind kind = Kind::kByteLevel;
  std::string pattern;  // kReplace
  std::string content;  // kReplace: replacement; kStrip: the character stripped
  int start = 0;        // kStrip: at most this many leading `content` characters removed per token
  int stop = 0;         // kStrip: trailing
};

struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool normalized = false;
};

struct TokenizerSpec {
  std::string source;  // the file name used in messages
  BpeModelSpec model;
  std::vector<NormalizerStep> normalizer;
  bool byte_level = false;        // pre-tokenizer ends in ByteLevel (byte-level BPE)
  bool add_prefix_space = false;  // ByteLevel add_prefix_space
  std::optional<SplitPattern> split;  // the regex split before the byte mapping, if any
  std::vector<DecoderStep> decoder;
  std::vector<AddedTokenSpec> added_tokens;
};

// `source` names the file in messages (e.g. "/models/llama/tokenizer.json").
absl::StatusOr<TokenizerSpec> ParseTokenizerJson(std::string_view json_text, const std::string& source);

// GPT-2's vocab.json (token -> id) and merges.txt ("#version" line, then "a b" per line). The
// vocabulary's <|endoftext|> becomes a special added token.
absl::StatusOr<TokenizerSpec> ParseGpt2Files(std::string_view vocab_json, const std::string& vocab_source,
                                             std::string_view merges_txt, const std::string& merges_source);

}  // namespace ecgbench::common::text
