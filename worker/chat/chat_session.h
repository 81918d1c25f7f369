// ChatSession: a trained ELM (an export directory of the train stage, worker/train/export.h) ready
// to answer questions about one ECG, as the evaluate stage prompts it: the base model's chat
// template (or the one the spec named), the export's tokenizer with its added tokens, the ECG slot
// at the start of the first user turn (N `<signal>` placeholders for LLaVA-style and encoder-free
// ELMs; the segment's ECG-Byte ids as `signal_<id>` tokens for ECG-Byte and Signal2Vec ELMs, cut to
// upstream's budget), generation until a stop token of the template (greedy by default).
//
// The ECG representation is elm_config.json's "representation" with the export's
// ecg_byte_tokenizer.json (and percentiles.json, when present); the signal is used as is (the
// spec's perturbation and image augmentation are training-time options and are not applied).
// Segment length: ChatSessionOptions::segment_len, else the encoder-free ELM's signal length, else
// the ECG encoder's, else the spec embedded in the model card (export_hints.h), else 1250.
//
// Torch-free header (the LibTorch state lives in the .cc). Errors: absl::Status naming the path or
// field and the reason: NotFound for a missing checkpoint directory or elm_config.json; the
// export loader's errors; InvalidArgument for a history that does not end with a user turn.
// Thread-safety: none (one conversation at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/text/chat/chat_render.h"
#include "worker/chat/chat_ecg.h"

namespace ecgbench::worker::chat {

struct ChatSessionOptions {
  std::string checkpoint_dir;   // the export directory (required)
  std::string base_model_dir;   // empty: the base model path recorded in elm_config.json
  std::string system_prompt;    // empty: the template's default
  int64_t max_new_tokens = 128;  // >= 1
  // Sampling; greedy (the default) when temperature is 0.
  double temperature = 0;
  double top_p = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;
  int64_t segment_len = 0;   // 0: from the export (see above)
  double npy_rate_hz = 250;  // rate of a .npy ECG
  int64_t max_tokens = 0;    // ECG-Byte budget's sequence length; 0: train.max_tokens of the card, else 1024
};

class ChatSession {
 public:
  static absl::StatusOr<std::unique_ptr<ChatSession>> Load(const ChatSessionOptions& options);
  ~ChatSession();
  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // How LoadChatEcg must bring an ECG to this ELM (segment length, rate, .npy rate).
  const ChatEcgOptions& ecg_options() const;
  // Makes `ecg` the ECG of the conversation (its representation is built once here). `ecg` must
  // have ecg_options()' segment length (InvalidArgument otherwise).
  absl::Status SetEcg(ChatEcg ecg);
  const ChatEcg& ecg() const;

  // The generation prompt of `history` (user, assistant, ..., user; no system turn: the session's
  // system prompt is used), with the ECG slot. REQUIRES: SetEcg succeeded (FailedPrecondition).
  absl::StatusOr<std::vector<int32_t>> PromptIds(const std::vector<common::text::ChatTurn>& history) const;
  // The assistant's answer to the last user turn of `history` (decoded without special tokens,
  // surrounding whitespace stripped). InvalidArgument when the prompt plus max_new_tokens exceeds
  // the model's positions.
  absl::StatusOr<std::string> Reply(const std::vector<common::text::ChatTurn>& history);

  const std::string& elm_kind() const;       // llava | encoder_free | ecg_byte | signal2vec
  const std::string& template_name() const;  // llama3 | chatml | gemma2 | gpt2 | opt
  // The ECG-Byte ids of the ECG (ecg_byte / signal2vec ELMs; empty otherwise).
  const std::vector<int32_t>& ecg_byte_ids() const;

 private:
  struct State;
  explicit ChatSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ecgbench::worker::chat
