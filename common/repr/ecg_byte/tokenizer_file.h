// ECG-Byte tokenizer files (format in docs/representations/ecg-byte.md):
//  - our own JSON, version 1:
//      {"format": "ecgbench.ecg_byte", "version": 1, "alphabet": "abcdefghijklmnopqrstuvwxyz",
//       "vocab_size": 256 + M, "num_merges": M, "merges": [[left, right], ...],
//       "training": {...free-form metadata: corpus, sampling, seed, timing...}}
//    merge i creates id 256 + i; left/right are 97..122 ('a'..'z') or earlier merge ids.
//    vocab_size and num_merges are checked against merges when present; training is optional.
//  - an export as a Hugging Face tokenizer.json with a BPE model whose tokens are the symbol strings
//    (bytes other than a..z appear as "<0xHH>"); merges as "left right". Two merges that build the
//    same symbols share one vocab entry (the smallest id, EcgByteTokenizer::CanonicalId), so HF
//    encodes like our kMergeRank encoder up to CanonicalId.
// Errors name the file and the field: "tok.json: field \"merges\"[3][1]: id 400 is not defined
// before merge 3 (...)". Pure functions apart from the file I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {

inline constexpr char kTokenizerFormat[] = "ecgbench.ecg_byte";
inline constexpr int kTokenizerFileVersion = 1;

struct TokenizerFile {
  EcgByteTokenizer tokenizer;
  nlohmann::json training = nlohmann::json::object();  // the file's "training" metadata
};

// The file's JSON text (2-space indented; each merge on one line).
std::string TokenizerToJson(const EcgByteTokenizer& tokenizer, const nlohmann::json& training);
// Parses a file's text; `file` names it in errors. InvalidArgument for bad JSON (with the byte
// offset), a missing or mistyped field, another format or version, a bad alphabet, bad merges.
absl::StatusOr<TokenizerFile> ParseTokenizer(std::string_view text, std::string_view file);

// Writes atomically / reads `path` (errors of the read name the path: NotFound etc.).
absl::Status SaveTokenizer(const std::string& path, const EcgByteTokenizer& tokenizer,
                           const nlohmann::json& training = nlohmann::json::object());
absl::StatusOr<TokenizerFile> LoadTokenizer(const std::string& path);

// The HF tokenizer.json text, and writing it atomically to `path`.
std::string ToHfTokenizerJson(const EcgByteTokenizer& tokenizer);
absl::Status ExportHfTokenizer(const std::string& path, const EcgByteTokenizer& tokenizer);
// The token string of `id` in the HF export: its symbols, or "<0xHH>" for a byte other than a..z.
std::string HfTokenString(const EcgByteTokenizer& tokenizer, int32_t id);

}  // namespace ecgbench::common::repr
