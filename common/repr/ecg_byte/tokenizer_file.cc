// Reading and writing ECG-Byte tokenizer files; the HF tokenizer.json export (see tokenizer_file.h).
#include "common/repr/ecg_byte/tokenizer_file.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::repr {

namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz";

// "<file>: field "merges"[3][1]: <reason>" (index: "" or the array subscripts).
absl::Status FieldError(const std::string& file, const std::string& field, const std::string& reason,
                        const std::string& index = "") {
  return absl::InvalidArgumentError(absl::StrCat(file, ": field \"", field, "\"", index, ": ", reason));
}

std::string TypeName(const nlohmann::json& j) { return j.type_name(); }

}  // namespace

std::string TokenizerToJson(const EcgByteTokenizer& tokenizer, const nlohmann::json& training) {
  // Written by hand so that each merge stays on one line (nlohmann's dump puts one number per line).
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"format\": \"", kTokenizerFormat, "\",\n");
  absl::StrAppend(&out, "  \"version\": ", kTokenizerFileVersion, ",\n");
  absl::StrAppend(&out, "  \"alphabet\": \"", kAlphabet, "\",\n");
  absl::StrAppend(&out, "  \"vocab_size\": ", tokenizer.vocab_size(), ",\n");
  absl::StrAppend(&out, "  \"num_merges\": ", tokenizer.num_merges(), ",\n");
  const nlohmann::json meta = training.is_object() ? training : nlohmann::json::object();
  absl::StrAppend(&out, "  \"training\": ", meta.dump(), ",\n");
  out += "  \"merges\": [";
  const auto& merges = tokenizer.merges();
  for (size_t i = 0; i < merges.size(); ++i) {
    absl::StrAppend(&out, i ? ",\n    [" : "\n    [", merges[i].left, ", ", merges[i].right, "]");
  }
  out += merges.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

absl::StatusOr<TokenizerFile> ParseTokenizer(std::string_view text, std::string_view file_name) {
  const std::string file(file_name);
  auto parsed = ParseJson(text, file);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": expected a JSON object, got ", TypeName(j)));
  auto it = j.find("format");
  if (it == j.end()) return FieldError(file, "format", absl::StrCat("missing (expected \"", kTokenizerFormat, "\")"));
  if (!it->is_string() || it->get<std::string>() != kTokenizerFormat) {
    return FieldError(file, "format", absl::StrCat("expected \"", kTokenizerFormat, "\", got ", it->dump()));
  }
  it = j.find("version");
  if (it == j.end()) return FieldError(file, "version", "missing");
  if (!it->is_number_integer() || it->get<int64_t>() != kTokenizerFileVersion) {
    return FieldError(file, "version",
                      absl::StrCat("unsupported version ", it->dump(), " (this build reads version ", kTokenizerFileVersion, ")"));
  }
  it = j.find("alphabet");
  if (it == j.end()) return FieldError(file, "alphabet", "missing");
  if (!it->is_string() || it->get<std::string>() != kAlphabet) {
    return FieldError(file, "alphabet", absl::StrCat("expected \"", kAlphabet, "\", got ", it->dump()));
  }
  it = j.find("merges");
  if (it == j.end()) return FieldError(file, "merges", "missing");
  if (!it->is_array()) return FieldError(file, "merges", absl::StrCat("expected an array, got ", TypeName(*it)));
  if (it->size() > static_cast<size_t>(kMaxMerges)) {
    return FieldError(file, "merges", absl::StrCat(it->size(), " merges, more than the ", kMaxMerges, " possible"));
  }
  std::vector<BpeMerge> merges;
  merges.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& m = (*it)[i];
    if (!m.is_array() || m.size() != 2) {
      return FieldError(file, "merges", absl::StrCat("expected [left, right], got ", m.dump()), absl::StrCat("[", i, "]"));
    }
    int64_t ids[2];
    for (int side = 0; side < 2; ++side) {
      const nlohmann::json& v = m[static_cast<size_t>(side)];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX) {
        return FieldError(file, "merges", absl::StrCat("expected a token id (a non-negative integer), got ", v.dump()),
                          absl::StrCat("[", i, "][", side, "]"));
      }
      ids[side] = v.get<int64_t>();
    }
    merges.push_back({static_cast<int32_t>(ids[0]), static_cast<int32_t>(ids[1])});
  }
  const int64_t num_merges = static_cast<int64_t>(merges.size());
  if (auto n = j.find("num_merges"); n != j.end()) {
    if (!n->is_number_integer() || n->get<int64_t>() != num_merges) {
      return FieldError(file, "num_merges", absl::StrCat(n->dump(), " does not match the ", num_merges, " merges"));
    }
  }
  if (auto v = j.find("vocab_size"); v != j.end()) {
    if (!v->is_number_integer() || v->get<int64_t>() != kByteVocabSize + num_merges) {
      return FieldError(file, "vocab_size",
                        absl::StrCat(v->dump(), " does not match 256 + ", num_merges, " merges = ", kByteVocabSize + num_merges));
    }
  }
  TokenizerFile out{*EcgByteTokenizer::Create({}), nlohmann::json::object()};
  if (auto t = j.find("training"); t != j.end()) {
    if (!t->is_object()) return FieldError(file, "training", absl::StrCat("expected an object, got ", TypeName(*t)));
    out.training = *t;
  }
  auto tokenizer = EcgByteTokenizer::Create(std::move(merges));
  if (!tokenizer.ok()) {
    // The tokenizer's messages read "merges[i][side]: reason" or "merges: reason".
    const std::string msg(tokenizer.status().message());
    const size_t colon = msg.find(": ");
    if (msg.rfind("merges", 0) != 0 || colon == std::string::npos) return FieldError(file, "merges", msg);
    return FieldError(file, "merges", msg.substr(colon + 2), msg.substr(6, colon - 6));
  }
  out.tokenizer = *std::move(tokenizer);
  return out;
}

absl::Status SaveTokenizer(const std::string& path, const EcgByteTokenizer& tokenizer, const nlohmann::json& training) {
  return WriteFileAtomic(path, TokenizerToJson(tokenizer, training));
}

absl::StatusOr<TokenizerFile> LoadTokenizer(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTokenizer(*text, path);
}

std::string HfTokenString(const EcgByteTokenizer& tokenizer, int32_t id) {
  if (tokenizer.IsSymbolToken(id)) return std::string(tokenizer.Symbols(id));
  return absl::StrFormat("<0x%02X>", id);
}

std::string ToHfTokenizerJson(const EcgByteTokenizer& tokenizer) {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.CanonicalId(id) != id) continue;  // the same symbols as an earlier id
    vocab[HfTokenString(tokenizer, id)] = id;
  }
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  for (const BpeMerge& m : tokenizer.merges()) {
    merges.push_back(absl::StrCat(HfTokenString(tokenizer, m.left), " ", HfTokenString(tokenizer, m.right)));
  }
  nlohmann::ordered_json model = {{"type", "BPE"},
                                  {"dropout", nullptr},
                                  {"unk_token", nullptr},
                                  {"continuing_subword_prefix", nullptr},
                                  {"end_of_word_suffix", nullptr},
                                  {"fuse_unk", false},
                                  {"byte_fallback", false},
                                  {"vocab", std::move(vocab)},
                                  {"merges", std::move(merges)}};
  nlohmann::ordered_json doc = {{"version", "1.0"},          {"truncation", nullptr}, {"padding", nullptr},
                                {"added_tokens", nlohmann::ordered_json::array()}, {"normalizer", nullptr},
                                {"pre_tokenizer", nullptr},  {"post_processor", nullptr},
                                {"decoder", nullptr},        {"model", std::move(model)}};
  return doc.dump(1) + "\n";
}

absl::Status ExportHfTokenizer(const std::string& path, const EcgByteTokenizer& tokenizer) {
  return WriteFileAtomic(path, ToHfTokenizerJson(tokenizer));
}

}  // namespace ecgbench::common::repr
