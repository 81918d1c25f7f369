// The predictions file (JSONL, one object per line) the evaluate stage writes and `ecgbench score`
// reads (docs/evaluation-metrics.md):
//   {"id": str, "question_type": str, "reference": str, "prediction": str,
//    "condition": str (optional), "turn": int >= 0 (optional), "answers": [str] (optional)}
// Blank lines are skipped; unknown fields are ignored; a UTF-8 byte-order mark is allowed.
// Reading is strict: every error is InvalidArgument "<path>:<line>: field \"<name>\": <reason>"
// (missing or mistyped fields, text that is not UTF-8, an empty id or reference, a repeated
// (id, condition, turn)); a prediction may be empty (it is scored as wrong / zero).
// All functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::eval {

struct Prediction {
  std::string id;
  std::string question_type;  // "" when the dataset has none
  std::string reference;
  std::string prediction;
  std::string condition;      // ablation condition ("signal", "zeros", "none"); "" when not ablated
  int turn = 0;               // assistant turn within the conversation
  std::vector<std::string> answers;  // gold answer items for answer F1 (multi-answer questions)
  int64_t line = 0;           // 1-based line it was read from; 0 when not read from a file
};

struct PredictionFileOptions {
  bool require_reference = true;   // false for a predictions file whose references come from --ref
  bool require_prediction = true;  // false for a references file
  int threads = 0;                 // parsing threads for large files (0 = one per core)
};

// Parses JSONL `text`; errors name `path` and the line.
absl::StatusOr<std::vector<Prediction>> ParsePredictionsJsonl(std::string_view text, const std::string& path,
                                                              const PredictionFileOptions& options = {});

// Reads and parses the file at `path`. NotFound / InvalidArgument naming the path.
absl::StatusOr<std::vector<Prediction>> ReadPredictionsJsonl(const std::string& path,
                                                             const PredictionFileOptions& options = {});

// One JSON object, no trailing newline: id, question_type, reference, prediction always; condition,
// turn and answers when they are not "", 0 and empty. Invalid UTF-8 is written as U+FFFD.
std::string PredictionToJsonLine(const Prediction& prediction);

// Writes one line per prediction, atomically (common/util/files.h).
absl::Status WritePredictionsJsonl(const std::string& path, const std::vector<Prediction>& predictions);

// Takes each prediction's reference (and its question_type / answers when the prediction has none)
// from the entry of `references` with the same (id, turn). InvalidArgument naming path:line and
// field "id" when a prediction has no reference, or a reference no prediction; references must not
// repeat an (id, turn).
absl::Status JoinReferences(const std::vector<Prediction>& references, const std::string& references_path,
                            std::vector<Prediction>* predictions, const std::string& predictions_path);

}  // namespace ecgbench::common::eval
