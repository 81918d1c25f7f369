// Parsing of HF tokenizer.json and GPT-2 vocab.json + merges.txt into a TokenizerSpec
// (tokenizer_spec.h). Every rejection names the file and the JSON field.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

namespace {

using nlohmann::json;

class FieldError {
 public:
  explicit FieldError(const std::string& source) : source_(source) {}
  absl::Status operator()(const std::string& field, const std::string& reason) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": field \"", field, "\": ", reason));
  }

 private:
  const std::string& source_;
};

std::string TypeOf(const json& j) { return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : ""; }

absl::StatusOr<bool> BoolField(const json& obj, const char* key, bool fallback, const std::string& path, const FieldError& err) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_boolean()) return err(absl::StrCat(path, ".", key), "expected true or false");
  return obj[key].get<bool>();
}

// A "pattern": {"String": "..."} object (Regex patterns are not supported).
absl::StatusOr<std::string> StringPattern(const json& step, const std::string& path, const FieldError& err) {
  if (!step.contains("pattern") || !step["pattern"].is_object()) return err(path + ".pattern", "missing");
  const json& p = step["pattern"];
  if (p.contains("String") && p["String"].is_string()) return p["String"].get<std::string>();
  return err(path + ".pattern", "only {\"String\": ...} patterns are supported here");
}

absl::Status ParseModel(const json& m, TokenizerSpec* spec, const FieldError& err) {
  if (!m.is_object()) return err("model", "missing or not an object");
  const std::string type = m.contains("type") ? TypeOf(m) : "BPE";
  if (type != "BPE") return err("model.type", absl::StrCat(type.empty() ? "missing" : type, " is not supported (BPE only)"));
  if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0)) {
    return err("model.dropout", "BPE dropout is not supported (null only)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty())) {
      return err(absl::StrCat("model.", key), "must be null or empty");
    }
  }
  BpeModelSpec& model = spec->model;
  if (m.contains("unk_token") && !m["unk_token"].is_null()) {
    if (!m["unk_token"].is_string()) return err("model.unk_token", "expected a string or null");
    model.unk_token = m["unk_token"].get<std::string>();
  }
  ECGBENCH_ASSIGN_OR_RETURN(model.fuse_unk, BoolField(m, "fuse_unk", false, "model", err));
  ECGBENCH_ASSIGN_OR_RETURN(model.byte_fallback, BoolField(m, "byte_fallback", false, "model", err));
  ECGBENCH_ASSIGN_OR_RETURN(model.ignore_merges, BoolField(m, "ignore_merges", false, "model", err));
  if (!m.contains("vocab") || !m["vocab"].is_object()) return err("model.vocab", "missing or not an object");
  model.vocab.reserve(m["vocab"].size());
  for (const auto& [token, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      return err("model.vocab", absl::StrCat("token \"", token, "\": id must be an integer in [0, 2^31)"));
    }
    model.vocab.emplace_back(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  if (!m.contains("merges") || !m["merges"].is_array()) return err("model.merges", "missing or not an array");
  const json& merges = m["merges"];
  model.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& mg = merges[i];
    if (mg.is_string()) {
      const std::string s = mg.get<std::string>();
      std::vector<std::string> parts = absl::StrSplit(s, ' ');
      if (parts.size() != 2) return err(absl::StrCat("model.merges[", i, "]"), absl::StrCat("\"", s, "\" is not of the form \"a b\""));
      model.merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
    } else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string()) {
      model.merges.emplace_back(mg[0].get<std::string>(), mg[1].get<std::string>());
    } else {
      return err(absl::StrCat("model.merges[", i, "]"), "expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseNormalizerStep(const json& n, const std::string& path, TokenizerSpec* spec, const FieldError& err) {
  const std::string type = TypeOf(n);
  if (type == "Sequence") {
    if (!n.contains("normalizers") || !n["normalizers"].is_array()) return err(path + ".normalizers", "missing");
    for (size_t i = 0; i < n["normalizers"].size(); ++i) {
      ECGBENCH_RETURN_IF_ERROR(ParseNormalizerStep(n["normalizers"][i], absl::StrCat(path, ".normalizers[", i, "]"), spec, err));
    }
    return absl::OkStatus();
  }
  NormalizerStep step;
  if (type == "NFC") {
    step.kind = NormalizerStep::Kind::kNfc;
  } else if (type == "Replace") {
    step.kind = NormalizerStep::Kind::kReplace;
    ECGBENCH_ASSIGN_OR_RETURN(step.pattern, StringPattern(n, path, err));
    if (step.pattern.empty()) return err(path + ".pattern", "empty pattern");
    if (!n.contains("content") || !n["content"].is_string()) return err(path + ".content", "missing");
    step.content = n["content"].get<std::string>();
  } else if (type == "Prepend") {
    step.kind = NormalizerStep::Kind::kPrepend;
    if (!n.contains("prepend") || !n["prepend"].is_string()) return err(path + ".prepend", "missing");
    step.content = n["prepend"].get<std::string>();
  } else {
    return err(path + ".type", absl::StrCat(type.empty() ? "missing" : type, " is not supported (NFC, Replace, Prepend, Sequence)"));
  }
  spec->normalizer.push_back(std::move(step));
  return absl::OkStatus();
}

absl::Status ParseByteLevel(const json& p, const std::string& path, bool after_split, TokenizerSpec* spec, const FieldError& err) {
  ECGBENCH_ASSIGN_OR_RETURN(spec->add_prefix_space, BoolField(p, "add_prefix_space", false, path, err));
  ECGBENCH_ASSIGN_OR_RETURN(const bool use_regex, BoolField(p, "use_regex", true, path, err));
  if (use_regex && after_split) return err(path + ".use_regex", "must be false after a Split pre-tokenizer");
  if (use_regex) spec->split = SplitPattern::kGpt2;
  spec->byte_level = true;
  return absl::OkStatus();
}

absl::Status ParsePreTokenizer(const json& p, TokenizerSpec* spec, const FieldError& err) {
  if (p.is_null()) return absl::OkStatus();
  const std::string type = TypeOf(p);
  if (type == "ByteLevel") return ParseByteLevel(p, "pre_tokenizer", false, spec, err);
  if (type != "Sequence") return err("pre_tokenizer.type", absl::StrCat(type.empty() ? "missing" : type, " is not supported (ByteLevel, or Sequence of Split and ByteLevel)"));
  if (!p.contains("pretokenizers") || !p["pretokenizers"].is_array()) return err("pre_tokenizer.pretokenizers", "missing");
  const json& steps = p["pretokenizers"];
  bool split_seen = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string path = absl::StrCat("pre_tokenizer.pretokenizers[", i, "]");
    const std::string t = TypeOf(steps[i]);
    if (t == "Split" && !split_seen && i + 1 < steps.size()) {
      const json& s = steps[i];
      if (!s.contains("pattern") || !s["pattern"].is_object() || !s["pattern"].contains("Regex") || !s["pattern"]["Regex"].is_string()) {
        return err(path + ".pattern", "expected {\"Regex\": ...}");
      }
      const std::string regex = s["pattern"]["Regex"].get<std::string>();
      const auto pattern = PatternFromRegex(regex);
      if (!pattern) return err(path + ".pattern.Regex", absl::StrCat("unsupported regex \"", regex, "\" (the GPT-2, Llama 3 and Qwen 2 patterns are supported)"));
      if (!s.contains("behavior") || s["behavior"] != "Isolated") return err(path + ".behavior", "only Isolated is supported");
      ECGBENCH_ASSIGN_OR_RETURN(const bool invert, BoolField(s, "invert", false, path, err));
      if (invert) return err(path + ".invert", "only false is supported");
      spec->split = *pattern;
      split_seen = true;
    } else if (t == "ByteLevel" && i + 1 == steps.size()) {
      ECGBENCH_RETURN_IF_ERROR(ParseByteLevel(steps[i], path, split_seen, spec, err));
    } else {
      return err(path + ".type", absl::StrCat(t.empty() ? "missing" : t, " is not supported here (Split followed by ByteLevel)"));
    }
  }
  if (!spec->byte_level) return err("pre_tokenizer", "a Sequence must end with ByteLevel");
  return absl::OkStatus();
}

absl::Status ParseDecoderStep(const json& d, const std::string& path, TokenizerSpec* spec, const FieldError& err) {
  const std::string type = TypeOf(d);
  if (type == "Sequence") {
    if (!d.contains("decoders") || !d["decoders"].is_array()) return err(path + ".decoders", "missing");
    for (size_t i = 0; i < d["decoders"].size(); ++i) {
      ECGBENCH_RETURN_IF_ERROR(ParseDecoderStep(d["decoders"][i], absl::StrCat(path, ".decoders[", i, "]"), spec, err));
    }
    return absl::OkStatus();
  }
  DecoderStep step;
  if (type == "ByteLevel") {
    step.kind = DecoderStep::Kind::kByteLevel;
  } else if (type == "Replace") {
    step.kind = DecoderStep::Kind::kReplace;
    ECGBENCH_ASSIGN_OR_RETURN(step.pattern, StringPattern(d, path, err));
    if (step.pattern.empty()) return err(path + ".pattern", "empty pattern");
    if (!d.contains("content") || !d["content"].is_string()) return err(path + ".content", "missing");
    step.content = d["content"].get<std::string>();
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::kFuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::kStrip;
    if (!d.contains("content") || !d["content"].is_string() || d["content"].get<std::string>().empty()) {
      return err(path + ".content", "missing");
    }
    step.content = d["content"].get<std::string>();
    for (auto [key, dst] : {std::pair<const char*, int*>{"start", &step.start}, {"stop", &step.stop}}) {
      if (!d.contains(key) || !d[key].is_number_unsigned()) return err(absl::StrCat(path, ".", key), "expected a non-negative integer");
      *dst = static_cast<int>(d[key].get<uint64_t>());
    }
  } else {
    return err(path + ".type", absl::StrCat(type.empty() ? "missing" : type, " is not supported (ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence)"));
  }
  spec->decoder.push_back(std::move(step));
  return absl::OkStatus();
}

absl::Status ParseAddedTokens(const json& root, TokenizerSpec* spec, const FieldError& err) {
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return absl::OkStatus();
  const json& list = root["added_tokens"];
  if (!list.is_array()) return err("added_tokens", "expected an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = absl::StrCat("added_tokens[", i, "]");
    const json& t = list[i];
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_unsigned() || t["id"].get<uint64_t>() > INT32_MAX) {
      return err(path + ".id", "missing or not a non-negative integer");
    }
    if (!t.contains("content") || !t["content"].is_string() || t["content"].get<std::string>().empty()) {
      return err(path + ".content", "missing or empty");
    }
    if (const int64_t tokens = static_cast<int64_t>(spec->model.vocab.size() + list.size());
        static_cast<int64_t>(t["id"].get<uint64_t>()) >= tokens + kMaxTokenIdHoles) {
      return err(path + ".id", absl::StrCat(t["id"].get<uint64_t>(), " is more than ", kMaxTokenIdHoles,
                                            " past the number of tokens (", tokens, ", added ones included)"));
    }
    AddedTokenSpec a;
    a.id = static_cast<int32_t>(t["id"].get<uint64_t>());
    a.content = t["content"].get<std::string>();
    ECGBENCH_ASSIGN_OR_RETURN(a.special, BoolField(t, "special", false, path, err));
    ECGBENCH_ASSIGN_OR_RETURN(a.normalized, BoolField(t, "normalized", !a.special, path, err));
    for (const char* key : {"single_word", "lstrip", "rstrip"}) {
      ECGBENCH_ASSIGN_OR_RETURN(const bool on, BoolField(t, key, false, path, err));
      if (on) return err(absl::StrCat(path, ".", key), "only false is supported");
    }
    spec->added_tokens.push_back(std::move(a));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenizerSpec> ParseTokenizerJson(std::string_view json_text, const std::string& source) {
  ECGBENCH_ASSIGN_OR_RETURN(json root, ParseJson(json_text, source));
  FieldError err(source);
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  TokenizerSpec spec;
  spec.source = source;
  if (!root.contains("model")) return err("model", "missing");
  ECGBENCH_RETURN_IF_ERROR(ParseModel(root["model"], &spec, err));
  if (root.contains("normalizer") && !root["normalizer"].is_null()) {
    ECGBENCH_RETURN_IF_ERROR(ParseNormalizerStep(root["normalizer"], "normalizer", &spec, err));
  }
  if (root.contains("pre_tokenizer")) ECGBENCH_RETURN_IF_ERROR(ParsePreTokenizer(root["pre_tokenizer"], &spec, err));
  if (root.contains("decoder") && !root["decoder"].is_null()) {
    ECGBENCH_RETURN_IF_ERROR(ParseDecoderStep(root["decoder"], "decoder", &spec, err));
  }
  ECGBENCH_RETURN_IF_ERROR(ParseAddedTokens(root, &spec, err));
  return spec;
}

absl::StatusOr<TokenizerSpec> ParseGpt2Files(std::string_view vocab_json, const std::string& vocab_source,
                                             std::string_view merges_txt, const std::string& merges_source) {
  ECGBENCH_ASSIGN_OR_RETURN(json vocab, ParseJson(vocab_json, vocab_source));
  if (!vocab.is_object()) return absl::InvalidArgumentError(absl::StrCat(vocab_source, ": expected a JSON object of token -> id"));
  TokenizerSpec spec;
  spec.source = vocab_source;
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(vocab_source, ": token \"", token, "\": id must be an integer in [0, 2^31)"));
    }
    spec.model.vocab.emplace_back(token, static_cast<int32_t>(id.get<int64_t>()));
    if (token == "<|endoftext|>") spec.added_tokens.push_back({static_cast<int32_t>(id.get<int64_t>()), token, true, false});
  }
  int64_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(AbslView(merges_txt), '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.substr(0, 8) == "#version")) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(merges_source, ":", line_no, ": \"", line, "\" is not of the form \"a b\""));
    }
    spec.model.merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  spec.byte_level = true;
  spec.split = SplitPattern::kGpt2;
  spec.decoder.push_back({DecoderStep::Kind::kByteLevel, "", "", 0, 0});
  return spec;
}

}  // namespace ecgbench::common::text
