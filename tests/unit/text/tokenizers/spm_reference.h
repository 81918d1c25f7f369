// A thin adapter over libsentencepiece for the SentencePiece cross-check (its headers declare their
// own absl::string_view, which clashes with Debian's Abseil, so they stay in spm_reference.cc):
// train a BPE model, list its pieces, encode lines. Errors come back as non-empty strings.
#pragma once

#include <string>
#include <vector>

namespace ecgbench::common::text::testing {

struct SpmPiece {
  enum class Type { kNormal, kUnknown, kControl, kByte, kUnused };
  std::string piece;
  float score = 0;
  Type type = Type::kNormal;
};

// SentencePieceTrainer::Train(args); "" on success, else the message.
std::string TrainSpm(const std::string& args);
// The pieces of `model_path` in id order.
std::string SpmPieces(const std::string& model_path, std::vector<SpmPiece>* pieces);
// The ids of each line under `model_path`.
std::string SpmEncode(const std::string& model_path, const std::vector<std::string>& lines, std::vector<std::vector<int>>* ids);

}  // namespace ecgbench::common::text::testing
