// Parsing of WordPiece tokenizer files into a WordPieceSpec (wordpiece.h): HF tokenizer.json with
// model.type "WordPiece", BERT's vocab.txt + tokenizer_config.json, and the cheap model.type probe
// LoadTokenizer uses to pick the implementation. Every rejection names the file and the field.
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/text/tokenizers/wordpiece.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::text {

namespace {

using nlohmann::json;

// SAX handler that records the string value of the top-level "model" object's "type" key and stops.
class ModelTypeProbe : public nlohmann::json_sax<json> {
 public:
  std::optional<std::string> type;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& val) override {
    if (depth_ == 2 && in_model_ && key_ == "type") {
      type = val;
      return false;  // found: stop parsing
    }
    return Value();
  }
  bool start_object(std::size_t) override { return Open(); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool key(string_t& val) override {
    if (depth_ == 1) in_model_ = val == "model";
    if (depth_ == 2) key_ = val;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool Value() { return true; }
  bool Open() {
    ++depth_;
    return true;
  }
  bool Close() {
    if (depth_ == 2 && in_model_) return false;  // the model object ended without a type
    --depth_;
    return true;
  }

  int depth_ = 0;
  bool in_model_ = false;
  std::string key_;
};

class FieldError {
 public:
  explicit FieldError(const std::string& source) : source_(source) {}
  absl::Status operator()(const std::string& field, const std::string& reason) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": field \"", field, "\": ", reason));
  }

 private:
  const std::string& source_;
};

std::string FieldPath(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string TypeOf(const json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
}

absl::StatusOr<bool> BoolField(const json& obj, const char* key, bool fallback, const std::string& path,
                               const FieldError& err) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_boolean()) return err(FieldPath(path, key), "expected true or false");
  return obj[key].get<bool>();
}

absl::StatusOr<std::optional<bool>> OptionalBoolField(const json& obj, const char* key, const std::string& path,
                                                      const FieldError& err) {
  if (!obj.contains(key) || obj[key].is_null()) return std::optional<bool>();
  if (!obj[key].is_boolean()) return err(FieldPath(path, key), "expected true, false or null");
  return std::optional<bool>(obj[key].get<bool>());
}

absl::StatusOr<std::string> StringField(const json& obj, const char* key, std::string fallback, const std::string& path,
                                        const FieldError& err) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_string()) return err(FieldPath(path, key), "expected a string");
  return obj[key].get<std::string>();
}

absl::Status ParseModel(const json& m, WordPieceSpec* spec, const FieldError& err) {
  if (!m.is_object()) return err("model", "missing or not an object");
  if (TypeOf(m) != "WordPiece") return err("model.type", "expected WordPiece");
  ECGBENCH_ASSIGN_OR_RETURN(spec->unk_token, StringField(m, "unk_token", "[UNK]", "model", err));
  ECGBENCH_ASSIGN_OR_RETURN(spec->continuing_subword_prefix,
                            StringField(m, "continuing_subword_prefix", "##", "model", err));
  if (m.contains("max_input_chars_per_word") && !m["max_input_chars_per_word"].is_null()) {
    const json& v = m["max_input_chars_per_word"];
    if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > (1u << 30)) {
      return err("model.max_input_chars_per_word", "expected a positive integer");
    }
    spec->max_input_chars_per_word = static_cast<int64_t>(v.get<uint64_t>());
  }
  if (!m.contains("vocab") || !m["vocab"].is_object()) return err("model.vocab", "missing or not an object");
  spec->vocab.reserve(m["vocab"].size());
  for (const auto& [token, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      return err("model.vocab", absl::StrCat("token \"", token, "\": id must be an integer in [0, 2^31)"));
    }
    spec->vocab.emplace_back(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  return absl::OkStatus();
}

absl::Status ParseNormalizer(const json& n, WordPieceSpec* spec, const FieldError& err) {
  if (n.is_null()) return absl::OkStatus();
  if (TypeOf(n) != "BertNormalizer") {
    return err("normalizer.type",
               absl::StrCat(TypeOf(n).empty() ? "missing" : TypeOf(n), " is not supported (BertNormalizer or null)"));
  }
  BertNormalizerOptions o;
  ECGBENCH_ASSIGN_OR_RETURN(o.clean_text, BoolField(n, "clean_text", true, "normalizer", err));
  ECGBENCH_ASSIGN_OR_RETURN(o.handle_chinese_chars, BoolField(n, "handle_chinese_chars", true, "normalizer", err));
  ECGBENCH_ASSIGN_OR_RETURN(o.strip_accents, OptionalBoolField(n, "strip_accents", "normalizer", err));
  ECGBENCH_ASSIGN_OR_RETURN(o.lowercase, BoolField(n, "lowercase", true, "normalizer", err));
  spec->normalizer = o;
  return absl::OkStatus();
}

// The ids of one post-processor special token: TemplateProcessing's special_tokens[name].ids.
absl::StatusOr<std::vector<int32_t>> TemplateIds(const json& p, const std::string& name, const std::string& path,
                                                 const FieldError& err) {
  if (!p.contains("special_tokens") || !p["special_tokens"].is_object() || !p["special_tokens"].contains(name)) {
    return err(path, absl::StrCat("special token \"", name, "\" is not in post_processor.special_tokens"));
  }
  const json& t = p["special_tokens"][name];
  const std::string tpath = absl::StrCat("post_processor.special_tokens.", name, ".ids");
  if (!t.is_object() || !t.contains("ids") || !t["ids"].is_array()) return err(tpath, "missing");
  std::vector<int32_t> ids;
  for (const json& id : t["ids"]) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() > INT32_MAX) return err(tpath, "expected non-negative integers");
    ids.push_back(static_cast<int32_t>(id.get<uint64_t>()));
  }
  return ids;
}

absl::Status ParsePostProcessor(const json& p, WordPieceSpec* spec, const FieldError& err) {
  if (p.is_null()) return absl::OkStatus();
  const std::string type = TypeOf(p);
  if (type == "BertProcessing") {
    for (auto [key, dst] :
         {std::pair<const char*, std::vector<int32_t>*>{"cls", &spec->prefix_ids}, {"sep", &spec->suffix_ids}}) {
      const std::string path = absl::StrCat("post_processor.", key);
      if (!p.contains(key) || !p[key].is_array() || p[key].size() != 2 || !p[key][0].is_string() ||
          !p[key][1].is_number_unsigned() || p[key][1].get<uint64_t>() > INT32_MAX) {
        return err(path, "expected [token, id]");
      }
      dst->assign(1, static_cast<int32_t>(p[key][1].get<uint64_t>()));
    }
    return absl::OkStatus();
  }
  if (type != "TemplateProcessing") {
    return err("post_processor.type", absl::StrCat(type.empty() ? "missing" : type,
                                                   " is not supported (TemplateProcessing, BertProcessing or null)"));
  }
  if (!p.contains("single") || !p["single"].is_array()) return err("post_processor.single", "missing or not an array");
  bool seen_sequence = false;
  for (size_t i = 0; i < p["single"].size(); ++i) {
    const json& piece = p["single"][i];
    const std::string path = absl::StrCat("post_processor.single[", i, "]");
    const bool is_special = piece.is_object() && piece.contains("SpecialToken");
    const bool is_sequence = piece.is_object() && piece.contains("Sequence");
    if (!is_special && !is_sequence) return err(path, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const json& body = is_special ? piece["SpecialToken"] : piece["Sequence"];
    if (body.contains("type_id") && !(body["type_id"].is_number_integer() && body["type_id"].get<int64_t>() == 0)) {
      return err(path + ".type_id", "only 0 is supported for a single sequence");
    }
    if (is_sequence) {
      if (seen_sequence || !body.contains("id") || body["id"] != "A") return err(path, "expected one Sequence \"A\"");
      seen_sequence = true;
      continue;
    }
    if (!body.contains("id") || !body["id"].is_string()) return err(path + ".SpecialToken.id", "missing");
    ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> ids,
                              TemplateIds(p, body["id"].get<std::string>(), path + ".SpecialToken.id", err));
    std::vector<int32_t>& dst = seen_sequence ? spec->suffix_ids : spec->prefix_ids;
    dst.insert(dst.end(), ids.begin(), ids.end());
  }
  if (!seen_sequence) return err("post_processor.single", "has no Sequence \"A\"");
  return absl::OkStatus();
}

absl::Status ParseDecoder(const json& d, WordPieceSpec* spec, const FieldError& err) {
  if (d.is_null()) {
    spec->wordpiece_decoder = false;
    return absl::OkStatus();
  }
  if (TypeOf(d) != "WordPiece") {
    return err("decoder.type",
               absl::StrCat(TypeOf(d).empty() ? "missing" : TypeOf(d), " is not supported (WordPiece or null)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(spec->decoder_prefix, StringField(d, "prefix", "##", "decoder", err));
  ECGBENCH_ASSIGN_OR_RETURN(spec->decoder_cleanup, BoolField(d, "cleanup", true, "decoder", err));
  return absl::OkStatus();
}

absl::Status ParseAddedTokens(const json& root, WordPieceSpec* spec, const FieldError& err) {
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
    if (const int64_t tokens = static_cast<int64_t>(spec->vocab.size() + list.size());
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

// tokenizer_config.json's special token entries: a string or an AddedToken object {"content": ...}.
absl::StatusOr<std::string> ConfigToken(const json& cfg, const char* key, const char* fallback, const FieldError& err) {
  if (!cfg.contains(key) || cfg[key].is_null()) return std::string(fallback);
  const json& v = cfg[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return err(key, "expected a string or {\"content\": ...}");
}

}  // namespace

std::optional<std::string> TokenizerJsonModelType(std::string_view json_text) {
  ModelTypeProbe probe;
  try {
    json::sax_parse(json_text.begin(), json_text.end(), &probe);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return probe.type;
}

absl::StatusOr<WordPieceSpec> ParseWordPieceTokenizerJson(std::string_view json_text, const std::string& source) {
  ECGBENCH_ASSIGN_OR_RETURN(json root, ParseJson(json_text, source));
  FieldError err(source);
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  WordPieceSpec spec;
  spec.source = source;
  if (!root.contains("model")) return err("model", "missing");
  ECGBENCH_RETURN_IF_ERROR(ParseModel(root["model"], &spec, err));
  if (root.contains("normalizer")) ECGBENCH_RETURN_IF_ERROR(ParseNormalizer(root["normalizer"], &spec, err));
  if (root.contains("pre_tokenizer") && !root["pre_tokenizer"].is_null()) {
    const std::string t = TypeOf(root["pre_tokenizer"]);
    if (t != "BertPreTokenizer") {
      return err("pre_tokenizer.type",
                 absl::StrCat(t.empty() ? "missing" : t, " is not supported (BertPreTokenizer or null)"));
    }
  } else {
    spec.bert_pre_tokenizer = false;
  }
  if (root.contains("post_processor")) ECGBENCH_RETURN_IF_ERROR(ParsePostProcessor(root["post_processor"], &spec, err));
  ECGBENCH_RETURN_IF_ERROR(ParseDecoder(root.contains("decoder") ? root["decoder"] : json(), &spec, err));
  ECGBENCH_RETURN_IF_ERROR(ParseAddedTokens(root, &spec, err));
  if (root.contains("padding") && root["padding"].is_object()) {
    ECGBENCH_ASSIGN_OR_RETURN(spec.pad_token, StringField(root["padding"], "pad_token", "[PAD]", "padding", err));
  }
  return spec;
}

absl::StatusOr<WordPieceSpec> ParseBertVocabTxt(std::string_view vocab_txt, const std::string& vocab_source,
                                                std::string_view config_json, const std::string& config_source) {
  WordPieceSpec spec;
  spec.source = vocab_source;
  absl::flat_hash_map<std::string, int32_t> ids;
  int32_t line_no = 0;
  for (size_t pos = 0; pos < vocab_txt.size();) {
    size_t end = vocab_txt.find('\n', pos);
    if (end == std::string_view::npos) end = vocab_txt.size();
    const std::string token(vocab_txt.substr(pos, end - pos));  // BertTokenizer strips only "\n"
    ++line_no;
    pos = end + 1;
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(vocab_source, ":", line_no, ": empty token"));
    }
    if (!ids.emplace(token, line_no - 1).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_source, ":", line_no, ": token \"", token, "\" already on line ", ids[token] + 1));
    }
    spec.vocab.emplace_back(token, line_no - 1);
  }
  json cfg = json::object();
  if (!config_json.empty()) {
    ECGBENCH_ASSIGN_OR_RETURN(cfg, ParseJson(config_json, config_source));
    if (!cfg.is_object()) return absl::InvalidArgumentError(absl::StrCat(config_source, ": not a JSON object"));
  }
  FieldError err(config_source);
  BertNormalizerOptions o;
  ECGBENCH_ASSIGN_OR_RETURN(o.lowercase, BoolField(cfg, "do_lower_case", true, "", err));
  ECGBENCH_ASSIGN_OR_RETURN(o.handle_chinese_chars, BoolField(cfg, "tokenize_chinese_chars", true, "", err));
  ECGBENCH_ASSIGN_OR_RETURN(o.strip_accents, OptionalBoolField(cfg, "strip_accents", "", err));
  spec.normalizer = o;
  std::string cls, sep, mask;
  ECGBENCH_ASSIGN_OR_RETURN(spec.unk_token, ConfigToken(cfg, "unk_token", "[UNK]", err));
  ECGBENCH_ASSIGN_OR_RETURN(cls, ConfigToken(cfg, "cls_token", "[CLS]", err));
  ECGBENCH_ASSIGN_OR_RETURN(sep, ConfigToken(cfg, "sep_token", "[SEP]", err));
  ECGBENCH_ASSIGN_OR_RETURN(spec.pad_token, ConfigToken(cfg, "pad_token", "[PAD]", err));
  ECGBENCH_ASSIGN_OR_RETURN(mask, ConfigToken(cfg, "mask_token", "[MASK]", err));
  for (const auto& [what, token] : {std::pair<const char*, const std::string*>{"unk_token", &spec.unk_token},
                                    {"cls_token", &cls},
                                    {"sep_token", &sep}}) {
    if (!ids.contains(*token)) {
      return absl::InvalidArgumentError(
          absl::StrCat(vocab_source, ": ", what, " \"", *token, "\" is not in the vocabulary"));
    }
  }
  spec.prefix_ids = {ids[cls]};
  spec.suffix_ids = {ids[sep]};
  // The special tokens transformers registers (in its order: unk, sep, pad, cls, mask), when present.
  for (const std::string* t : {&spec.unk_token, &sep, &spec.pad_token, &cls, &mask}) {
    auto it = ids.find(*t);
    if (it == ids.end()) continue;
    bool dup = false;
    for (const AddedTokenSpec& a : spec.added_tokens) dup |= a.id == it->second;
    if (!dup) spec.added_tokens.push_back({it->second, *t, /*special=*/true, /*normalized=*/false});
  }
  return spec;
}

}  // namespace ecgbench::common::text
