// The predictions JSONL reader and writer (predictions.h). Each line is parsed by a SAX handler
// that fills a Prediction directly, so a parse error, a wrong type or invalid UTF-8 is reported
// with the field it occurred in. This file is the adapter for nlohmann::json's exceptions.
#include "common/eval/predictions.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/eval/text_normalize.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::eval {

namespace {

using json = nlohmann::json;

// Debian's Abseil has its own string_view type.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

enum class Field { kNone, kId, kQuestionType, kReference, kPrediction, kCondition, kTurn, kAnswers, kOther };

Field FieldOf(std::string_view key) {
  if (key == "id") return Field::kId;
  if (key == "question_type") return Field::kQuestionType;
  if (key == "reference") return Field::kReference;
  if (key == "prediction") return Field::kPrediction;
  if (key == "condition") return Field::kCondition;
  if (key == "turn") return Field::kTurn;
  if (key == "answers") return Field::kAnswers;
  return Field::kOther;
}

// Fills one Prediction from one line's SAX events; the first problem is kept in error_.
class LineHandler : public nlohmann::json_sax<json> {
 public:
  explicit LineHandler(Prediction* out) : out_(out) {}

  bool null() override { return Scalar("null"); }
  bool boolean(bool) override { return Scalar("a boolean"); }
  bool number_integer(number_integer_t v) override { return Integer(v >= 0, static_cast<uint64_t>(v < 0 ? 0 : v)); }
  bool number_unsigned(number_unsigned_t v) override { return Integer(true, v); }
  bool number_float(number_float_t, const string_t&) override { return Scalar("a non-integer number"); }
  bool binary(binary_t&) override { return Scalar("binary data"); }
  bool string(string_t& v) override {
    if (depth_ == 0) return Fail("");
    if (depth_ >= 2) {  // inside answers, or inside a field this format does not know
      if (field_ == Field::kAnswers) out_->answers.push_back(std::move(v));
      return true;
    }
    switch (field_) {
      case Field::kId: out_->id = std::move(v); break;
      case Field::kQuestionType: out_->question_type = std::move(v); break;
      case Field::kReference: out_->reference = std::move(v); break;
      case Field::kPrediction: out_->prediction = std::move(v); break;
      case Field::kCondition: out_->condition = std::move(v); break;
      case Field::kTurn: return Fail("expected a non-negative integer, got a string");
      case Field::kAnswers: return Fail("expected an array of strings, got a string");
      default: break;
    }
    return ValueDone();
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) {
      ++depth_;
      awaiting_key_ = true;
      return true;
    }
    if (depth_ == 1) Typed("an object");
    if (depth_ == 2 && field_ == Field::kAnswers) return Fail("expected an array of strings, got an array holding an object");
    ++depth_;
    return error_.empty();
  }
  bool key(string_t& k) override {
    if (depth_ != 1) return true;
    key_ = k;
    field_ = FieldOf(k);
    awaiting_key_ = false;
    if (field_ != Field::kOther) {
      const int bit = 1 << static_cast<int>(field_);
      if (seen_ & bit) return Fail("appears twice");
      seen_ |= bit;
    }
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return Fail("");
    if (depth_ == 1 && field_ != Field::kAnswers) Typed("an array");
    if (depth_ == 2 && field_ == Field::kAnswers) return Fail("expected an array of strings, got an array holding an array");
    ++depth_;
    return error_.empty();
  }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error_position_ = position;
    parse_message_ = ex.what();
    return false;
  }

  // True when the error happened where a field name was expected.
  bool awaiting_key() const { return depth_ == 1 && awaiting_key_; }
  int depth() const { return depth_; }
  const std::string& key() const { return key_; }
  const std::string& error() const { return error_; }
  const std::string& parse_message() const { return parse_message_; }
  size_t error_position() const { return error_position_; }
  bool seen(Field f) const { return (seen_ & (1 << static_cast<int>(f))) != 0; }

 private:
  bool Fail(std::string message) {
    error_ = message.empty() ? std::string("not a JSON object") : std::move(message);
    return false;
  }
  // A value of `what` type at depth 1: wrong for the known fields.
  void Typed(const char* what) {
    switch (field_) {
      case Field::kTurn: Fail(absl::StrCat("expected a non-negative integer, got ", what)); break;
      case Field::kAnswers: Fail(absl::StrCat("expected an array of strings, got ", what)); break;
      case Field::kOther: break;
      default: Fail(absl::StrCat("expected a string, got ", what)); break;
    }
  }
  bool Scalar(const char* what) {
    if (depth_ == 0) return Fail("");
    if (depth_ == 2 && field_ == Field::kAnswers) {
      return Fail(absl::StrCat("expected an array of strings, got an array holding ", what));
    }
    if (depth_ == 1) Typed(what);
    return error_.empty() && ValueDone();
  }
  bool Integer(bool non_negative, uint64_t v) {
    if (depth_ == 1 && field_ == Field::kTurn) {
      if (!non_negative || v > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
        return Fail("expected a non-negative integer that fits an int");
      }
      out_->turn = static_cast<int>(v);
      return ValueDone();
    }
    return Scalar("a number");
  }
  bool ValueDone() {
    if (depth_ == 1) awaiting_key_ = true;
    return true;
  }
  bool Close() {
    --depth_;
    return ValueDone();
  }

  Prediction* out_;
  int depth_ = 0;
  bool awaiting_key_ = false;
  std::string key_;
  Field field_ = Field::kNone;
  int seen_ = 0;
  std::string error_;
  std::string parse_message_;
  size_t error_position_ = 0;
};

std::string FieldError(const std::string& where, std::string_view field, std::string_view reason) {
  return absl::StrCat(where, ": field \"", absl::CHexEscape(Av(field)), "\": ", Av(reason));
}

// Parses one non-blank line into *out.
absl::Status ParseLine(std::string_view line, const std::string& path, int64_t line_no,
                       const PredictionFileOptions& options, Prediction* out) {
  const auto where = [&] { return absl::StrCat(path, ":", line_no); };
  LineHandler handler(out);
  bool ok = false;
  try {
    ok = json::sax_parse(line.begin(), line.end(), &handler);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where(), ": invalid JSON: ", e.what()));
  }
  if (!ok) {
    if (!handler.error().empty()) {
      if (handler.depth() == 0 || handler.key().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where(), ": ", handler.error()));
      }
      return absl::InvalidArgumentError(FieldError(where(), handler.key(), handler.error()));
    }
    const size_t bad = FindInvalidUtf8(line);
    const bool utf8 = bad != std::string_view::npos && bad < handler.error_position();
    const std::string reason = utf8 ? absl::StrCat("text is not valid UTF-8 (byte ", bad + 1, " of the line)")
                                    : absl::StrCat("invalid JSON: ", handler.parse_message());
    if (handler.depth() == 0) return absl::InvalidArgumentError(absl::StrCat(where(), ": ", reason));
    if (handler.awaiting_key()) return absl::InvalidArgumentError(absl::StrCat(where(), ": in a field name: ", reason));
    return absl::InvalidArgumentError(FieldError(where(), handler.key(), reason));
  }
  const auto missing = [&](std::string_view field) {
    return absl::InvalidArgumentError(FieldError(where(), field, "missing"));
  };
  if (!handler.seen(Field::kId)) return missing("id");
  if (out->id.empty()) return absl::InvalidArgumentError(FieldError(where(), "id", "empty"));
  if (options.require_reference) {
    if (!handler.seen(Field::kReference)) return missing("reference");
    if (StripPython(out->reference).empty()) {
      return absl::InvalidArgumentError(FieldError(where(), "reference", "empty (a reference must have text)"));
    }
  }
  if (options.require_prediction && !handler.seen(Field::kPrediction)) return missing("prediction");
  return absl::OkStatus();
}

std::string Describe(const Prediction& p, bool with_condition) {
  std::string s = absl::StrCat("\"", absl::CHexEscape(p.id), "\" (");
  if (with_condition) absl::StrAppend(&s, "condition \"", absl::CHexEscape(p.condition), "\", ");
  absl::StrAppend(&s, "turn ", p.turn, ")");
  return s;
}

std::string Key(const Prediction& p, bool with_condition) {
  return absl::StrCat(p.id, absl::string_view("\0", 1), with_condition ? p.condition : "", absl::string_view("\0", 1),
                      p.turn);
}

// Parses the lines of `chunk` (whose first line is line `first_line` of the file) into *out,
// stopping at the first bad line.
absl::Status ParseChunk(std::string_view chunk, int64_t first_line, const std::string& path,
                        const PredictionFileOptions& options, std::vector<Prediction>* out) {
  int64_t line_no = first_line - 1;
  for (size_t pos = 0; pos < chunk.size();) {
    size_t end = chunk.find('\n', pos);
    if (end == std::string_view::npos) end = chunk.size();
    std::string_view line = chunk.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Prediction p;
    p.line = line_no;
    if (absl::Status st = ParseLine(line, path, line_no, options, &p); !st.ok()) return st;
    out->push_back(std::move(p));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Prediction>> ParsePredictionsJsonl(std::string_view text, const std::string& path,
                                                              const PredictionFileOptions& options) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  // Large files are parsed in chunks of whole lines on several threads.
  constexpr size_t kChunkBytes = 4 << 20;
  const size_t cores = options.threads > 0 ? static_cast<size_t>(options.threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::max<size_t>(1, std::min<size_t>(cores, text.size() / kChunkBytes));
  std::vector<size_t> begin(threads + 1, text.size());
  std::vector<int64_t> first_line(threads, 1);
  begin[0] = 0;
  for (size_t t = 1; t < threads; ++t) {
    const size_t nl = text.find('\n', std::max(begin[t - 1], text.size() * t / threads));
    begin[t] = nl == std::string_view::npos ? text.size() : nl + 1;
    first_line[t] = first_line[t - 1] +
                    std::count(text.begin() + begin[t - 1], text.begin() + begin[t], '\n');
  }
  std::vector<std::vector<Prediction>> parts(threads);
  std::vector<absl::Status> status(threads);
  const auto run = [&](size_t t) {
    status[t] = ParseChunk(text.substr(begin[t], begin[t + 1] - begin[t]), first_line[t], path, options, &parts[t]);
  };
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(run, t);
  run(0);
  for (std::thread& w : workers) w.join();

  // The first error in line order wins: a repeated key before the first bad line, else that line.
  std::vector<Prediction> out;
  absl::Status parse_error;
  for (size_t t = 0; t < threads; ++t) {
    for (Prediction& p : parts[t]) out.push_back(std::move(p));
    if (!status[t].ok()) {
      parse_error = status[t];
      break;
    }
  }
  absl::flat_hash_map<std::string, int64_t> seen;
  seen.reserve(out.size());
  for (const Prediction& p : out) {
    const auto [it, inserted] = seen.emplace(Key(p, /*with_condition=*/true), p.line);
    if (!inserted) {
      return absl::InvalidArgumentError(FieldError(absl::StrCat(path, ":", p.line), "id",
                                                   absl::StrCat(Describe(p, true), " repeats line ", it->second)));
    }
  }
  if (!parse_error.ok()) return parse_error;
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no JSON lines (empty file)"));
  return out;
}

absl::StatusOr<std::vector<Prediction>> ReadPredictionsJsonl(const std::string& path,
                                                             const PredictionFileOptions& options) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParsePredictionsJsonl(*text, path, options);
}

std::string PredictionToJsonLine(const Prediction& p) {
  nlohmann::ordered_json j;
  j["id"] = p.id;
  j["question_type"] = p.question_type;
  j["reference"] = p.reference;
  j["prediction"] = p.prediction;
  if (!p.condition.empty()) j["condition"] = p.condition;
  if (p.turn != 0) j["turn"] = p.turn;
  if (!p.answers.empty()) j["answers"] = p.answers;
  return j.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace);
}

absl::Status WritePredictionsJsonl(const std::string& path, const std::vector<Prediction>& predictions) {
  std::string text;
  for (const Prediction& p : predictions) absl::StrAppend(&text, PredictionToJsonLine(p), "\n");
  return WriteFileAtomic(path, text);
}

absl::Status JoinReferences(const std::vector<Prediction>& references, const std::string& references_path,
                            std::vector<Prediction>* predictions, const std::string& predictions_path) {
  absl::flat_hash_map<std::string, size_t> by_key;
  for (size_t i = 0; i < references.size(); ++i) {
    const auto [it, inserted] = by_key.emplace(Key(references[i], /*with_condition=*/false), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          FieldError(absl::StrCat(references_path, ":", references[i].line), "id",
                     absl::StrCat(Describe(references[i], false), " repeats line ", references[it->second].line)));
    }
  }
  std::vector<bool> used(references.size(), false);
  for (Prediction& p : *predictions) {
    const auto it = by_key.find(Key(p, /*with_condition=*/false));
    if (it == by_key.end()) {
      return absl::InvalidArgumentError(FieldError(absl::StrCat(predictions_path, ":", p.line), "id",
                                                   absl::StrCat(Describe(p, false), " has no reference in ", references_path)));
    }
    const Prediction& r = references[it->second];
    used[it->second] = true;
    p.reference = r.reference;
    if (p.question_type.empty()) p.question_type = r.question_type;
    if (p.answers.empty()) p.answers = r.answers;
  }
  for (size_t i = 0; i < references.size(); ++i) {
    if (used[i]) continue;
    return absl::InvalidArgumentError(FieldError(absl::StrCat(references_path, ":", references[i].line), "id",
                                                 absl::StrCat(Describe(references[i], false), " has no prediction in ",
                                                              predictions_path)));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::eval
