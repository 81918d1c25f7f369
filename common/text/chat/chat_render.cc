// Conversation -> segments -> token ids + label mask, generation prompts, and token-id helpers.
#include "common/text/chat/chat_render.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {
namespace {

std::string Trimmed(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return std::string();
  const size_t e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

void AddText(std::vector<ChatSegment>* out, std::string text, bool labeled) {
  if (text.empty()) return;
  out->push_back(ChatSegment{SegmentKind::kText, std::move(text), labeled});
}

void AddSpecial(std::vector<ChatSegment>* out, const std::string& token, bool labeled) {
  if (token.empty()) return;
  out->push_back(ChatSegment{SegmentKind::kSpecial, token, labeled});
}

void AddHeader(std::vector<ChatSegment>* out, const TurnFormat& f) {
  for (const ChatPiece& p : f.header) {
    if (p.special) {
      AddSpecial(out, p.text, false);
    } else {
      AddText(out, p.text, false);
    }
  }
}

// Index of the first non-system turn after validating roles; the system prompt goes to *system.
absl::StatusOr<size_t> ValidateTurns(const ChatInput& input, RenderMode mode, std::string* system) {
  size_t start = 0;
  *system = input.system_prompt;
  if (!input.turns.empty() && input.turns[0].role == "system") {
    if (!input.system_prompt.empty()) {
      return absl::InvalidArgumentError("turn 0: a system turn and ChatInput.system_prompt are both given");
    }
    *system = input.turns[0].content;
    start = 1;
  }
  if (start == input.turns.size()) return absl::InvalidArgumentError("conversation has no user turn");
  for (size_t i = start; i < input.turns.size(); ++i) {
    const std::string& role = input.turns[i].role;
    const char* expected = (i - start) % 2 == 0 ? "user" : "assistant";
    if (role == "system") {
      return absl::InvalidArgumentError(absl::StrCat("turn ", i, ": a system turn must come first"));
    }
    if (role != "user" && role != "assistant") {
      return absl::InvalidArgumentError(
          absl::StrCat("turn ", i, ": unknown role \"", role, "\" (expected system, user or assistant)"));
    }
    if (role != expected) {
      return absl::InvalidArgumentError(absl::StrCat("turn ", i, ": expected a \"", expected, "\" turn, got \"", role,
                                                     "\" (roles alternate user/assistant, starting with user)"));
    }
  }
  if (mode == RenderMode::kGeneration && input.turns.back().role != "user") {
    return absl::InvalidArgumentError(absl::StrCat("generation prompt: the conversation must end with a user turn (turn ",
                                                   input.turns.size() - 1, " is \"assistant\")"));
  }
  return start;
}

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

absl::Status WithContext(const absl::Status& s, std::string_view template_name, size_t at) {
  return absl::Status(s.code(), absl::StrCat("chat template \"", std::string(template_name), "\": encoding the text at token ", at,
                                             ": ", s.message()));
}

}  // namespace

absl::StatusOr<std::vector<ChatSegment>> RenderSegments(const ChatTemplate& tmpl, const ChatInput& input,
                                                        RenderMode mode) {
  std::string system;
  ECGBENCH_ASSIGN_OR_RETURN(const size_t start, ValidateTurns(input, mode, &system));
  if (system.empty()) system = tmpl.default_system_prompt;
  auto content = [&](const std::string& s) { return tmpl.trim_content ? Trimmed(s) : s; };

  std::vector<ChatSegment> out;
  AddSpecial(&out, tmpl.bos, false);
  const bool fold = !tmpl.system_role && !system.empty();
  if (tmpl.system_role && !system.empty()) {
    AddHeader(&out, tmpl.system);
    AddText(&out, tmpl.system.content_prefix + content(system), false);
    AddSpecial(&out, tmpl.system.end_of_turn, false);
    AddText(&out, tmpl.system.separator, false);
  }
  bool first_user = true;
  for (size_t i = start; i < input.turns.size(); ++i) {
    const bool assistant = input.turns[i].role == "assistant";
    const TurnFormat& fmt = assistant ? tmpl.assistant : tmpl.user;
    const bool labeled = assistant && mode == RenderMode::kTraining;
    AddHeader(&out, fmt);
    std::string body = content(input.turns[i].content);
    if (!assistant && first_user) {
      first_user = false;
      std::string prefix = fmt.content_prefix;
      if (fold) prefix += content(system) + tmpl.system_fold_separator;
      if (!input.ecg_ids.empty()) {
        AddText(&out, std::move(prefix), false);
        out.push_back(ChatSegment{SegmentKind::kEcg, "", false});
        AddText(&out, "\n" + body, false);
      } else {
        AddText(&out, prefix + body, false);
      }
    } else {
      AddText(&out, fmt.content_prefix + body, labeled);
    }
    AddSpecial(&out, fmt.end_of_turn, labeled);
    AddText(&out, fmt.separator, false);
  }
  if (mode == RenderMode::kTraining && input.turns.back().role == "assistant") {
    AddSpecial(&out, tmpl.final_token, true);
  }
  if (mode == RenderMode::kGeneration) AddHeader(&out, tmpl.assistant);
  return out;
}

std::string SegmentsToText(const std::vector<ChatSegment>& segments, std::string_view ecg_text) {
  std::string s;
  for (const ChatSegment& seg : segments) {
    if (seg.kind == SegmentKind::kEcg) {
      s += ecg_text;
    } else {
      s += seg.text;
    }
  }
  return s;
}

absl::StatusOr<RenderedConversation> TokenizeSegments(const std::vector<ChatSegment>& segments,
                                                      const std::vector<int32_t>& ecg_ids,
                                                      const Tokenizer& tokenizer, std::string_view template_name) {
  RenderedConversation r;
  auto push = [&r](int32_t id, bool labeled) {
    r.ids.push_back(id);
    r.labels.push_back(labeled ? id : kIgnoreLabel);
  };
  const int32_t vocab = tokenizer.vocab_size();
  size_t i = 0;
  while (i < segments.size()) {
    const ChatSegment& seg = segments[i];
    if (seg.kind == SegmentKind::kSpecial) {
      const std::optional<int32_t> id = tokenizer.TokenToId(seg.text);
      if (!id) {
        return absl::NotFoundError(absl::StrCat("chat template \"", std::string(template_name), "\": special token \"", seg.text,
                                                "\" is not in the tokenizer's vocabulary"));
      }
      push(*id, seg.labeled);
      ++i;
      continue;
    }
    if (seg.kind == SegmentKind::kEcg) {
      if (r.ecg_begin >= 0) return absl::InvalidArgumentError("more than one ECG slot in the rendered segments");
      r.ecg_begin = static_cast<int64_t>(r.ids.size());
      for (size_t k = 0; k < ecg_ids.size(); ++k) {
        if (ecg_ids[k] < 0 || ecg_ids[k] >= vocab) {
          return absl::InvalidArgumentError(absl::StrCat("ECG id ", ecg_ids[k], " at ECG position ", k,
                                                         " is outside the vocabulary (size ", vocab, ")"));
        }
        push(ecg_ids[k], seg.labeled);
      }
      r.ecg_end = static_cast<int64_t>(r.ids.size());
      ++i;
      continue;
    }
    // A maximal run of text segments is encoded as one string (as HF does between special tokens).
    size_t j = i;
    std::string run;
    while (j < segments.size() && segments[j].kind == SegmentKind::kText) run += segments[j++].text;
    auto encoded = tokenizer.Encode(run);
    if (!encoded.ok()) return WithContext(encoded.status(), template_name, r.ids.size());
    const std::vector<int32_t>& ids = *encoded;
    // Label boundaries inside the run: tokens shared with the encoding of the text before the
    // boundary lie wholly before it; the first token after them belongs to the later segment.
    size_t begin_tok = 0;
    bool cur = segments[i].labeled;
    std::string prefix = segments[i].text;
    for (size_t k = i + 1; k <= j; ++k) {
      if (k < j && segments[k].labeled == cur) {
        prefix += segments[k].text;
        continue;
      }
      size_t end_tok = ids.size();
      if (k < j) {
        auto p = tokenizer.Encode(prefix);
        if (!p.ok()) return WithContext(p.status(), template_name, r.ids.size());
        end_tok = std::max(begin_tok, CommonPrefix(*p, ids));
      }
      for (size_t t = begin_tok; t < end_tok; ++t) push(ids[t], cur);
      begin_tok = end_tok;
      if (k < j) {
        cur = segments[k].labeled;
        prefix += segments[k].text;
      }
    }
    i = j;
  }
  for (size_t t = 0; t < r.labels.size(); ++t) {
    if (r.labels[t] == kIgnoreLabel) continue;
    if (r.first_labeled < 0) r.first_labeled = static_cast<int64_t>(t);
    ++r.num_labeled;
  }
  return r;
}

absl::StatusOr<RenderedConversation> RenderConversation(const ChatTemplate& tmpl, const ChatInput& input,
                                                        RenderMode mode, const Tokenizer& tokenizer) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<ChatSegment> segments, RenderSegments(tmpl, input, mode));
  return TokenizeSegments(segments, input.ecg_ids, tokenizer, tmpl.name);
}

absl::StatusOr<std::vector<GenerationPrompt>> RenderGenerationPrompts(const ChatTemplate& tmpl,
                                                                      const ChatInput& input,
                                                                      const Tokenizer& tokenizer) {
  std::string system;
  ECGBENCH_RETURN_IF_ERROR(ValidateTurns(input, RenderMode::kTraining, &system).status());
  std::vector<GenerationPrompt> prompts;
  ChatInput history;
  history.system_prompt = input.system_prompt;
  history.ecg_ids = input.ecg_ids;
  for (size_t i = 0; i < input.turns.size(); ++i) {
    if (input.turns[i].role == "assistant") {
      ECGBENCH_ASSIGN_OR_RETURN(RenderedConversation r,
                                RenderConversation(tmpl, history, RenderMode::kGeneration, tokenizer));
      GenerationPrompt p;
      p.ids = std::move(r.ids);
      p.ecg_begin = r.ecg_begin;
      p.ecg_end = r.ecg_end;
      p.turn = static_cast<int>(i);
      p.reference = tmpl.trim_content ? Trimmed(input.turns[i].content) : input.turns[i].content;
      prompts.push_back(std::move(p));
    }
    history.turns.push_back(input.turns[i]);
  }
  return prompts;
}

absl::StatusOr<std::vector<int32_t>> StopTokenIds(const ChatTemplate& tmpl, const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (const std::string& t : tmpl.stop_tokens) {
    const std::optional<int32_t> id = tokenizer.TokenToId(t);
    if (!id) {
      return absl::NotFoundError(absl::StrCat("chat template \"", tmpl.name, "\": stop token \"", t,
                                              "\" is not in the tokenizer's vocabulary"));
    }
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

absl::StatusOr<int32_t> PadTokenId(const ChatTemplate& tmpl, const Tokenizer& tokenizer) {
  const std::optional<int32_t> id = tokenizer.TokenToId(tmpl.pad_token);
  if (!id) {
    return absl::NotFoundError(absl::StrCat("chat template \"", tmpl.name, "\": pad token \"", tmpl.pad_token,
                                            "\" is not in the tokenizer's vocabulary"));
  }
  return *id;
}

int32_t ResolvePadId(const ChatTemplate& tmpl, const Tokenizer& tokenizer, std::optional<int64_t> model_pad_id,
                     const std::vector<int64_t>& model_eos_ids) {
  if (!tmpl.pad_token.empty()) {
    if (const std::optional<int32_t> id = tokenizer.TokenToId(tmpl.pad_token)) return *id;
  }
  if (model_pad_id && *model_pad_id >= 0) return static_cast<int32_t>(*model_pad_id);
  if (!model_eos_ids.empty()) return static_cast<int32_t>(model_eos_ids[0]);
  return 0;
}

absl::StatusOr<std::vector<int32_t>> PlaceholderIds(const Tokenizer& tokenizer, int64_t count,
                                                    std::string_view placeholder) {
  if (count < 0) return absl::InvalidArgumentError(absl::StrCat("placeholder count ", count, " is negative"));
  const std::optional<int32_t> id = tokenizer.TokenToId(placeholder);
  if (!id) {
    return absl::NotFoundError(absl::StrCat("ECG placeholder \"", std::string(placeholder),
                                            "\" is not in the tokenizer's vocabulary (add it with AddTokens)"));
  }
  return std::vector<int32_t>(static_cast<size_t>(count), *id);
}

}  // namespace ecgbench::common::text
