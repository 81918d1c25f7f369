// libsentencepiece adapter for the tests (spm_reference.h). No Abseil header may be included here.
#include "tests/unit/text/tokenizers/spm_reference.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

namespace ecgbench::common::text::testing {

std::string TrainSpm(const std::string& args) {
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  return status.ok() ? "" : status.ToString();
}

std::string SpmPieces(const std::string& model_path, std::vector<SpmPiece>* pieces) {
  sentencepiece::SentencePieceProcessor sp;
  const auto status = sp.Load(model_path);
  if (!status.ok()) return status.ToString();
  pieces->clear();
  for (int id = 0; id < sp.GetPieceSize(); ++id) {
    SpmPiece p;
    p.piece = sp.IdToPiece(id);
    p.score = sp.GetScore(id);
    p.type = sp.IsUnknown(id)   ? SpmPiece::Type::kUnknown
             : sp.IsControl(id) ? SpmPiece::Type::kControl
             : sp.IsByte(id)    ? SpmPiece::Type::kByte
             : sp.IsUnused(id)  ? SpmPiece::Type::kUnused
                                : SpmPiece::Type::kNormal;
    pieces->push_back(std::move(p));
  }
  return "";
}

std::string SpmEncode(const std::string& model_path, const std::vector<std::string>& lines, std::vector<std::vector<int>>* ids) {
  sentencepiece::SentencePieceProcessor sp;
  const auto status = sp.Load(model_path);
  if (!status.ok()) return status.ToString();
  ids->clear();
  for (const std::string& line : lines) {
    std::vector<int> one;
    const auto s = sp.Encode(line, &one);
    if (!s.ok()) return s.ToString();
    ids->push_back(std::move(one));
  }
  return "";
}

}  // namespace ecgbench::common::text::testing
