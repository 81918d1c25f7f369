// Built-in chat templates and their selection by name / model_type. The layouts follow the
// published Hugging Face chat templates (Meta-Llama-3-Instruct, Qwen2.5-Instruct, gemma-2-it) and
// upstream ECG-Bench's FastChat-style templates; GPT-2 and OPT get a plain format of our own.
#include "common/text/chat/chat_template.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::common::text {
namespace {

ChatPiece Special(std::string s) { return ChatPiece{std::move(s), true}; }
ChatPiece Text(std::string s) { return ChatPiece{std::move(s), false}; }

TurnFormat Llama3Turn(const std::string& role) {
  TurnFormat t;
  t.header = {Special("<|start_header_id|>"), Text(role), Special("<|end_header_id|>"), Text("\n\n")};
  t.end_of_turn = "<|eot_id|>";
  return t;
}

TurnFormat ChatmlTurn(const std::string& role) {
  TurnFormat t;
  t.header = {Special("<|im_start|>"), Text(role + "\n")};
  t.end_of_turn = "<|im_end|>";
  t.separator = "\n";
  return t;
}

TurnFormat GemmaTurn(const std::string& role) {
  TurnFormat t;
  t.header = {Special("<start_of_turn>"), Text(role + "\n")};
  t.end_of_turn = "<end_of_turn>";
  t.separator = "\n";
  return t;
}

// Plain format for base LMs: "Role: content\n"; assistant turns end with the model's EOS.
TurnFormat PlainTurn(const std::string& label, const std::string& eos) {
  TurnFormat t;
  t.header = {Text(label + ":")};
  t.content_prefix = " ";
  t.end_of_turn = eos;
  t.separator = "\n";
  return t;
}

ChatTemplate PlainTemplate(const std::string& name, const std::string& bos, const std::string& eos,
                           const std::string& pad) {
  ChatTemplate c;
  c.name = name;
  c.bos = bos;
  c.system = PlainTurn("System", "");
  c.user = PlainTurn("User", "");
  c.assistant = PlainTurn("Assistant", eos);
  c.pad_token = pad;
  c.stop_tokens = {eos};
  return c;
}

}  // namespace

ChatTemplate Llama3ChatTemplate() {
  ChatTemplate c;
  c.name = "llama3";
  c.bos = "<|begin_of_text|>";
  c.system = Llama3Turn("system");
  c.user = Llama3Turn("user");
  c.assistant = Llama3Turn("assistant");
  c.pad_token = "<|eot_id|>";  // upstream: pad = eos when the tokenizer has none (Llama 3.2)
  c.stop_tokens = {"<|eot_id|>"};
  return c;
}

ChatTemplate ChatmlChatTemplate() {
  ChatTemplate c;
  c.name = "chatml";
  c.system = ChatmlTurn("system");
  c.user = ChatmlTurn("user");
  c.assistant = ChatmlTurn("assistant");
  c.default_system_prompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  c.trim_content = false;  // Qwen 2.5's template inserts message.content as is
  c.pad_token = "<|endoftext|>";
  c.stop_tokens = {"<|im_end|>"};
  return c;
}

ChatTemplate Gemma2ChatTemplate() {
  ChatTemplate c;
  c.name = "gemma2";
  c.bos = "<bos>";
  c.system = GemmaTurn("user");  // unused: system_role is false
  c.user = GemmaTurn("user");
  c.assistant = GemmaTurn("model");
  c.system_role = false;
  c.final_token = "<eos>";
  c.pad_token = "<pad>";
  c.stop_tokens = {"<end_of_turn>", "<eos>"};
  return c;
}

ChatTemplate Gpt2ChatTemplate() { return PlainTemplate("gpt2", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>"); }

ChatTemplate OptChatTemplate() { return PlainTemplate("opt", "</s>", "</s>", "<pad>"); }

absl::StatusOr<std::string> ChatTemplateNameForModelType(std::string_view model_type) {
  if (model_type == "llama") return std::string("llama3");
  if (model_type == "qwen2") return std::string("chatml");
  if (model_type == "gemma2") return std::string("gemma2");
  if (model_type == "gpt2") return std::string("gpt2");
  if (model_type == "opt") return std::string("opt");
  return absl::InvalidArgumentError(
      absl::StrCat("chat template auto: config.json model_type \"", std::string(model_type),
                   "\" has no chat template (supported: llama, qwen2, gemma2, gpt2, opt)"));
}

absl::StatusOr<ChatTemplate> ChatTemplateByName(std::string_view name, std::string_view model_type) {
  if (name == "auto") {
    if (model_type.empty()) {
      return absl::InvalidArgumentError("chat template auto: needs the model's config.json model_type");
    }
    auto resolved = ChatTemplateNameForModelType(model_type);
    if (!resolved.ok()) return resolved.status();
    return ChatTemplateByName(*resolved);
  }
  if (name == "llama3") return Llama3ChatTemplate();
  if (name == "chatml") return ChatmlChatTemplate();
  if (name == "gemma2") return Gemma2ChatTemplate();
  if (name == "gpt2") return Gpt2ChatTemplate();
  if (name == "opt") return OptChatTemplate();
  return absl::InvalidArgumentError(absl::StrCat("unknown chat template \"", std::string(name),
                                                 "\" (choices: llama3, chatml, gemma2, gpt2, opt, auto)"));
}

}  // namespace ecgbench::common::text
