// Conversation JSONL schema, clean_text, JSONL reader/writer and mixing.
#include "common/ecg/dataset/conversation.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dataset/store_files.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {

nlohmann::json ConversationToJson(const Conversation& c) {
  nlohmann::json seg = nlohmann::json::object();
  if (c.index >= 0) {
    seg["store"] = c.store;
    seg["index"] = c.index;
  }
  seg["record_id"] = c.record_id;
  seg["segment_index"] = c.segment_index;
  nlohmann::json j = nlohmann::json::object();
  j["id"] = c.id;
  j["segment"] = std::move(seg);
  j["source"] = c.source;
  j["dataset"] = c.dataset;
  if (!c.question_type.empty()) j["question_type"] = c.question_type;
  nlohmann::json msgs = nlohmann::json::array();
  for (const ChatMessage& m : c.messages) msgs.push_back(nlohmann::json{{"role", m.role}, {"content", m.content}});
  j["messages"] = std::move(msgs);
  if (c.answer.has_value()) j["answer"] = *c.answer;
  return j;
}

absl::StatusOr<Conversation> ConversationFromJson(const nlohmann::json& j, std::string_view where_sv) {
  const std::string where(where_sv);
  auto bad = [&where](const std::string& field, const char* expected) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field \"", field, "\" missing or not ", expected));
  };
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a JSON object"));
  Conversation c;
  auto str = [&j](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!str("id", &c.id) || c.id.empty()) return bad("id", "a non-empty string");
  if (!str("source", &c.source)) return bad("source", "a string");
  if (!str("dataset", &c.dataset) || c.dataset.empty()) return bad("dataset", "a non-empty string");
  if (j.contains("question_type") && !str("question_type", &c.question_type)) return bad("question_type", "a string");
  auto seg = j.find("segment");
  if (seg == j.end() || !seg->is_object()) return bad("segment", "an object");
  auto rid = seg->find("record_id");
  if (rid == seg->end() || !rid->is_string()) return bad("segment.record_id", "a string");
  c.record_id = rid->get<std::string>();
  auto sidx = seg->find("segment_index");
  if (sidx == seg->end() || !sidx->is_number_integer()) return bad("segment.segment_index", "an integer");
  c.segment_index = sidx->get<int64_t>();
  const bool has_store = seg->contains("store"), has_index = seg->contains("index");
  if (has_store != has_index) return bad("segment.store/segment.index", "both present or both absent");
  if (has_store) {
    if (!(*seg)["store"].is_string()) return bad("segment.store", "a string");
    if (!(*seg)["index"].is_number_integer() || (*seg)["index"].get<int64_t>() < 0) {
      return bad("segment.index", "a non-negative integer");
    }
    c.store = (*seg)["store"].get<std::string>();
    c.index = (*seg)["index"].get<int64_t>();
  }
  auto msgs = j.find("messages");
  if (msgs == j.end() || !msgs->is_array() || msgs->empty()) return bad("messages", "a non-empty array");
  for (size_t i = 0; i < msgs->size(); ++i) {
    const nlohmann::json& m = (*msgs)[i];
    const std::string field = absl::StrCat("messages[", i, "]");
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) return bad(field + ".role", "a string");
    const std::string role = m["role"].get<std::string>();
    if (role != "user" && role != "assistant" && role != "system") {
      return bad(field + ".role", "one of user, assistant, system");
    }
    if (!m.contains("content") || !m["content"].is_string()) return bad(field + ".content", "a string");
    c.messages.push_back(ChatMessage{role, m["content"].get<std::string>()});
  }
  if (j.contains("answer")) {
    const nlohmann::json& a = j["answer"];
    if (!a.is_array()) return bad("answer", "an array of strings");
    std::vector<std::string> answer;
    for (const nlohmann::json& s : a) {
      if (!s.is_string()) return bad("answer", "an array of strings");
      answer.push_back(s.get<std::string>());
    }
    c.answer = std::move(answer);
  }
  return c;
}

namespace {

bool IsWordChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || u >= 0x80;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// "image" spelled in `src` with its case pattern applied to "signal".
std::string SignalLike(std::string_view src) {
  bool all_upper = true, all_lower = true;
  for (char c : src) {
    all_upper = all_upper && std::isupper(static_cast<unsigned char>(c));
    all_lower = all_lower && std::islower(static_cast<unsigned char>(c));
  }
  if (all_upper) return "SIGNAL";
  if (!all_lower && std::isupper(static_cast<unsigned char>(src[0]))) {
    bool rest_lower = true;
    for (size_t i = 1; i < src.size(); ++i) rest_lower = rest_lower && std::islower(static_cast<unsigned char>(src[i]));
    if (rest_lower) return "Signal";
  }
  return "signal";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string CleanText(std::string_view text) {
  // 1. Tags, each with one newline right after it.
  std::string no_tags;
  no_tags.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t tag = 0;
    if (text.compare(i, 5, "<ecg>") == 0) tag = 5;
    if (text.compare(i, 7, "<image>") == 0) tag = 7;
    if (tag > 0) {
      i += tag;
      if (i < text.size() && text[i] == '\n') ++i;
      continue;
    }
    no_tags.push_back(text[i++]);
  }
  // 2. Whole words image/images -> signal/signals.
  std::string out;
  out.reserve(no_tags.size() + 16);
  const std::string_view s = no_tags;
  for (size_t i = 0; i < s.size();) {
    if ((i == 0 || !IsWordChar(s[i - 1])) && StartsWithNoCase(s.substr(i), "image")) {
      size_t end = i + 5;
      const bool plural = end < s.size() && (s[end] == 's' || s[end] == 'S');
      if (plural) ++end;
      if (end == s.size() || !IsWordChar(s[end])) {
        out += SignalLike(s.substr(i, 5));
        if (plural) out.push_back(s[end - 1] == 'S' ? 'S' : 's');
        i = end;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  // 3. One leading speaker prefix, then trim.
  std::string_view t = Trim(out);
  for (std::string_view prefix : {"user:", "assistant:", "human:", "gpt:", "model:", "system:", "q:", "a:", ":"}) {
    if (StartsWithNoCase(t, prefix)) {
      t.remove_prefix(prefix.size());
      break;
    }
  }
  return std::string(Trim(t));
}

std::string NormalizeRole(std::string_view from) {
  std::string f;
  for (char c : from) f.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (f == "human" || f == "user") return "user";
  if (f == "system") return "system";
  return "assistant";
}

struct ConversationWriter::State {
  std::string path;
  std::string tmp;
  internal::OutFile file;
  std::map<std::string, int64_t> counts;
  bool finished = false;
  std::string line;
};

ConversationWriter::ConversationWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}

ConversationWriter::~ConversationWriter() {
  if (s_ && !s_->finished) std::remove(s_->tmp.c_str());
}

absl::StatusOr<std::unique_ptr<ConversationWriter>> ConversationWriter::Create(const std::string& path) {
  auto s = std::make_unique<State>();
  s->path = path;
  s->tmp = absl::StrCat(path, ".tmp-", ::getpid());
  if (absl::Status st = s->file.Open(s->tmp); !st.ok()) return st;
  return std::unique_ptr<ConversationWriter>(new ConversationWriter(std::move(s)));
}

absl::Status ConversationWriter::Write(const Conversation& c) {
  if (s_->finished) return absl::FailedPreconditionError(absl::StrCat(s_->path, ": writer is finished"));
  s_->line = ConversationToJson(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s_->line.push_back('\n');
  if (absl::Status st = s_->file.Write(s_->line); !st.ok()) return st;
  ++s_->counts[c.dataset];
  return absl::OkStatus();
}

absl::Status ConversationWriter::Finish() {
  if (s_->finished) return absl::FailedPreconditionError(absl::StrCat(s_->path, ": writer is finished"));
  if (absl::Status st = s_->file.Close(nullptr); !st.ok()) return st;
  if (absl::Status st = internal::RenamePath(s_->tmp, s_->path); !st.ok()) return st;
  s_->finished = true;
  return absl::OkStatus();
}

const std::map<std::string, int64_t>& ConversationWriter::counts() const { return s_->counts; }

absl::Status ReadConversations(const std::string& path,
                               const std::function<absl::Status(Conversation&& c, int64_t line)>& fn) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ForEachJsonLine(*text, path, [&](const nlohmann::json& value, const std::string& where, int64_t line) {
    absl::StatusOr<Conversation> c = ConversationFromJson(value, where);
    if (!c.ok()) return c.status();
    return fn(std::move(*c), line);
  });
}

absl::StatusOr<std::map<std::string, int64_t>> MixConversationFiles(const std::vector<std::string>& inputs,
                                                                   const std::string& out) {
  absl::StatusOr<std::unique_ptr<ConversationWriter>> w = ConversationWriter::Create(out);
  if (!w.ok()) return w.status();
  for (const std::string& in : inputs) {
    absl::Status st = ReadConversations(in, [&](Conversation&& c, int64_t) { return (*w)->Write(c); });
    if (!st.ok()) return st;
  }
  if (absl::Status st = (*w)->Finish(); !st.ok()) return st;
  return (*w)->counts();
}

}  // namespace ecgbench::common::ecg
