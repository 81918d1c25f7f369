// bench/loader: the synthetic run data the loader benchmark reads, written the way the dataset
// stage writes it: a segment store of synthetic 12-lead ECGs (common/ecg/synth, 5 s at 250 Hz),
// 5-fold patient splits, an ECG-QA-like conversation JSONL (short single-turn questions and
// two-turn report conversations), an ECG-Byte tokenizer trained on the store's segments, and a
// synthetic byte-level BPE tokenizer.json (GPT-2 pre-tokenizer, Llama 3 special tokens) whose
// merges build every word of the conversations (about one token per word, as real tokenizers).
// Deterministic. Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/splits.h"
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"

namespace ecgbench::bench {

struct SyntheticRunOptions {
  int segments = 64;            // synthetic records, one 1250-sample segment each
  int conversations = 800;      // conversation i is about segment i % segments
  int ecg_byte_merges = 1000;   // trained on every segment
};

struct SyntheticRun {
  std::unique_ptr<common::ecg::SegmentStore> store;
  common::ecg::FoldAssignment folds;
  std::string conversations_path;
  std::string tokenizer_path;  // the synthetic tokenizer.json
  std::shared_ptr<const common::repr::EcgByteTokenizer> ecg_byte;
};

// Writes everything under `dir` (created; existing files are replaced).
absl::StatusOr<SyntheticRun> WriteSyntheticRun(const std::string& dir, const SyntheticRunOptions& options);

// The system prompt the benchmark renders (about 60 words, like upstream's shorter prompts).
const char* BenchSystemPrompt();

}  // namespace ecgbench::bench
