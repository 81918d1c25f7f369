// Chat templates as plain values: how a conversation (system prompt + alternating user/assistant
// turns) is laid out around special tokens for one model family. Built-ins: Llama 3, ChatML
// (Qwen 2.5), Gemma 2, and plain formats of our own for GPT-2 and OPT (upstream has none).
// Templates are selected by name or from a config.json `model_type`. The rendering itself lives in
// chat_render.h; docs/text-chat.md shows every template's exact output. Values: thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::text {

// One piece of a turn's frame: a special token string (looked up as exactly one id) or text
// (encoded by the tokenizer with the text around it).
struct ChatPiece {
  std::string text;
  bool special = false;
  bool operator==(const ChatPiece& o) const { return text == o.text && special == o.special; }
};

// How one role's turn is framed: header pieces, then content_prefix + content (the content part;
// labeled in assistant turns), then the end_of_turn special token (labeled in assistant turns),
// then the separator text (never labeled).
struct TurnFormat {
  std::vector<ChatPiece> header;
  std::string content_prefix;  // e.g. " " in the plain formats ("Assistant:" + " answer")
  std::string end_of_turn;     // special token string; empty = none
  std::string separator;       // text after the end of turn ("\n" for ChatML and Gemma)
};

struct ChatTemplate {
  std::string name;  // "llama3" | "chatml" | "gemma2" | "gpt2" | "opt" (or a custom name)
  std::string bos;   // special token that starts every sequence; empty = none (ChatML)
  TurnFormat system;
  TurnFormat user;
  TurnFormat assistant;
  // False: the model has no system role (Gemma 2); a system prompt is folded into the first user
  // turn as system + system_fold_separator + user content.
  bool system_role = true;
  std::string system_fold_separator = "\n\n";
  // Used when the conversation has no system prompt; empty = no system turn (Qwen 2.5's template
  // inserts "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.").
  std::string default_system_prompt;
  bool trim_content = true;  // strip ASCII whitespace around each content (Jinja `| trim`)
  // Special token appended after a final assistant turn when rendering for training, labeled
  // (Gemma's trailing <eos>, as upstream's gemma-2 template); empty = none.
  std::string final_token;
  std::string pad_token;                 // conventional padding token of the family
  std::vector<std::string> stop_tokens;  // generation stops on any of these
};

ChatTemplate Llama3ChatTemplate();
ChatTemplate ChatmlChatTemplate();
ChatTemplate Gemma2ChatTemplate();
ChatTemplate Gpt2ChatTemplate();
ChatTemplate OptChatTemplate();

// The template name for a Hugging Face config.json `model_type`: llama -> llama3, qwen2 -> chatml,
// gemma2 -> gemma2, gpt2 -> gpt2, opt -> opt. InvalidArgument naming the model_type otherwise.
absl::StatusOr<std::string> ChatTemplateNameForModelType(std::string_view model_type);

// A built-in template by name (llama3 | chatml | gemma2 | gpt2 | opt), or `auto` = from
// `model_type` (required then). InvalidArgument naming the unknown name and listing the choices.
absl::StatusOr<ChatTemplate> ChatTemplateByName(std::string_view name, std::string_view model_type = "");

}  // namespace ecgbench::common::text
