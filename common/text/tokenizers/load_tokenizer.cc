// LoadTokenizer (common/text/tokenizer.h): reads tokenizer.json, GPT-2's vocab.json + merges.txt or
// BERT's vocab.txt and picks the implementation from the file's model type (WordPiece: wordpiece.h)
// and pre-tokenizer (ByteLevel: byte-level BPE; none: SentencePiece-style BPE).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/tokenizer.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/sentencepiece_bpe.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "common/text/tokenizers/wordpiece.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

namespace {

absl::StatusOr<std::unique_ptr<Tokenizer>> FromSpec(TokenizerSpec spec) {
  if (spec.byte_level) {
    ECGBENCH_ASSIGN_OR_RETURN(auto t, ByteLevelBpeTokenizer::Create(std::move(spec)));
    return std::unique_ptr<Tokenizer>(std::move(t));
  }
  ECGBENCH_ASSIGN_OR_RETURN(auto t, SentencePieceBpeTokenizer::Create(std::move(spec)));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> FromGpt2Files(const std::string& vocab_path, const std::string& merges_path) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string vocab, ReadFile(vocab_path));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string merges, ReadFile(merges_path));
  ECGBENCH_ASSIGN_OR_RETURN(TokenizerSpec spec, ParseGpt2Files(vocab, vocab_path, merges, merges_path));
  return FromSpec(std::move(spec));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> WordPiece(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(auto t, LoadWordPieceTokenizer(path));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const std::string json = (fs::path(path) / "tokenizer.json").string();
    if (FileExists(json)) return LoadTokenizer(json);
    const std::string vocab = (fs::path(path) / "vocab.json").string(), merges = (fs::path(path) / "merges.txt").string();
    if (FileExists(vocab) && FileExists(merges)) return FromGpt2Files(vocab, merges);
    if (FileExists((fs::path(path) / "vocab.txt").string())) return WordPiece(path);
    return absl::NotFoundError(
        absl::StrCat(path, ": no tokenizer.json, nor vocab.json + merges.txt, nor vocab.txt, in this directory"));
  }
  if (!FileExists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  if (absl::EndsWith(path, "vocab.json")) {
    const std::string merges = (fs::path(path).parent_path() / "merges.txt").string();
    if (FileExists(merges)) return FromGpt2Files(path, merges);
  }
  if (absl::EndsWith(path, "vocab.txt")) return WordPiece(path);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return LoadTokenizerJson(text, path);
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerJson(std::string_view json_text, const std::string& source) {
  if (TokenizerJsonModelType(json_text) == "WordPiece") {
    ECGBENCH_ASSIGN_OR_RETURN(WordPieceSpec spec, ParseWordPieceTokenizerJson(json_text, source));
    ECGBENCH_ASSIGN_OR_RETURN(auto t, WordPieceTokenizer::Create(std::move(spec)));
    return std::unique_ptr<Tokenizer>(std::move(t));
  }
  ECGBENCH_ASSIGN_OR_RETURN(TokenizerSpec spec, ParseTokenizerJson(json_text, source));
  return FromSpec(std::move(spec));
}

}  // namespace ecgbench::common::text
