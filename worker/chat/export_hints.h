// Settings of a trained ELM that elm_config.json does not record but the chat should match: the
// segment length and rate of the training data, the token budget of ECG-Byte prompts and the chat
// template asked for. They come from the experiment spec that the train stage embeds in the
// export's model card (README.md, section "Experiment spec": the stage params as JSON, or a spec as
// YAML). Torch-free; pure apart from reading the file; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ecgbench::worker::chat {

// Zero / empty where the card does not say.
struct ExportHints {
  int64_t segment_len = 0;     // data.segment_len
  double target_rate_hz = 0;   // data.target_rate
  int64_t max_tokens = 0;      // train.max_tokens
  int64_t min_ecg_tokens = 0;  // train.min_ecg_tokens
  std::string chat_template;   // model.llm.template ("auto" reads as empty)
};

// The hints of a model card's text. A card without a spec, or with one that does not parse, gives
// empty hints (never an error: the caller falls back to its defaults).
ExportHints ParseExportHints(std::string_view model_card);

// ParseExportHints of <export_dir>/README.md; empty hints when it cannot be read.
ExportHints ReadExportHints(const std::string& export_dir);

}  // namespace ecgbench::worker::chat
