// The predictions JSONL format: round trip, optional fields, blank lines / CRLF / BOM, and the exact
// errors for bad input (path:line, field, reason), plus joining references from a second file.
#include "common/eval/predictions.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::eval {
namespace {

PredictionFileOptions Options(bool require_reference, bool require_prediction) {
  PredictionFileOptions o;
  o.require_reference = require_reference;
  o.require_prediction = require_prediction;
  return o;
}
const PredictionFileOptions kReferencesFile = Options(true, false);
const PredictionFileOptions kPredictionsOnly = Options(false, true);

std::string ErrorOf(std::string_view text, const PredictionFileOptions& options = {}) {
  auto r = ParsePredictionsJsonl(text, "p.jsonl", options);
  return r.ok() ? "OK" : std::string(r.status().message());
}

TEST(PredictionsTest, RoundTripsThroughJsonLines) {
  Prediction a;
  a.id = "ptbxl-1";
  a.question_type = "single-verify";
  a.reference = "yes";
  a.prediction = "no \"quoted\"\n\xc3\xa9";
  Prediction b;
  b.id = "mimic-2";
  b.reference = "lead I, lead II";
  b.prediction = "";
  b.condition = "zeros";
  b.turn = 2;
  b.answers = {"lead I", "lead II"};
  EXPECT_EQ(PredictionToJsonLine(a),
            R"({"id":"ptbxl-1","question_type":"single-verify","reference":"yes","prediction":"no \"quoted\"\n)"
            "\xc3\xa9\"}");
  EXPECT_EQ(PredictionToJsonLine(b),
            R"({"id":"mimic-2","question_type":"","reference":"lead I, lead II","prediction":"","condition":"zeros",)"
            R"("turn":2,"answers":["lead I","lead II"]})");

  test_support::TempDir dir;
  ASSERT_TRUE(WritePredictionsJsonl(dir / "p.jsonl", {a, b}).ok());
  auto read = ReadPredictionsJsonl(dir / "p.jsonl");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].prediction, a.prediction);
  EXPECT_EQ((*read)[0].line, 1);
  EXPECT_EQ((*read)[1].condition, "zeros");
  EXPECT_EQ((*read)[1].turn, 2);
  EXPECT_EQ((*read)[1].answers, b.answers);
  EXPECT_EQ((*read)[1].line, 2);
}

TEST(PredictionsTest, AcceptsBlankLinesCrlfBomAndUnknownFields) {
  auto r = ParsePredictionsJsonl("\xEF\xBB\xBF{\"id\":\"a\",\"reference\":\"x\",\"prediction\":\"y\"}\r\n\n  \n"
                                 "{\"id\":\"b\",\"reference\":\"x\",\"prediction\":\"\",\"extra\":{\"k\":[1,\"s\"]}}",
                                 "p.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].id, "b");
  EXPECT_EQ((*r)[1].line, 4);
  EXPECT_EQ((*r)[1].question_type, "");
}

TEST(PredictionsTest, BadInputNamesLineAndField) {
  const std::string ok = R"("reference":"x","prediction":"y")";
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + "}\n{" + ok + "}"), "p.jsonl:2: field \"id\": missing");
  EXPECT_EQ(ErrorOf(R"({"id":"a","prediction":"y"})"), "p.jsonl:1: field \"reference\": missing");
  EXPECT_EQ(ErrorOf(R"({"id":"a","reference":"x"})"), "p.jsonl:1: field \"prediction\": missing");
  EXPECT_EQ(ErrorOf(R"({"id":"a","reference":" ","prediction":"y"})"),
            "p.jsonl:1: field \"reference\": empty (a reference must have text)");
  EXPECT_EQ(ErrorOf(R"({"id":"","reference":"x","prediction":"y"})"), "p.jsonl:1: field \"id\": empty");
  EXPECT_EQ(ErrorOf(R"({"id":7,"reference":"x","prediction":"y"})"),
            "p.jsonl:1: field \"id\": expected a string, got a number");
  EXPECT_EQ(ErrorOf(R"({"id":"a","reference":["x"],"prediction":"y"})"),
            "p.jsonl:1: field \"reference\": expected a string, got an array");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + ",\"turn\":\"1\"}"),
            "p.jsonl:1: field \"turn\": expected a non-negative integer, got a string");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + ",\"turn\":-1}"),
            "p.jsonl:1: field \"turn\": expected a non-negative integer that fits an int");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + ",\"turn\":1.5}"),
            "p.jsonl:1: field \"turn\": expected a non-negative integer, got a non-integer number");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + ",\"answers\":[\"x\",2]}"),
            "p.jsonl:1: field \"answers\": expected an array of strings, got an array holding a number");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + ",\"answers\":\"x\"}"),
            "p.jsonl:1: field \"answers\": expected an array of strings, got a string");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\",\"id\":\"b\"," + ok + "}"), "p.jsonl:1: field \"id\": appears twice");
  EXPECT_EQ(ErrorOf("[1,2]"), "p.jsonl:1: not a JSON object");
  EXPECT_EQ(ErrorOf("\"text\""), "p.jsonl:1: not a JSON object");
  EXPECT_EQ(ErrorOf(""), "p.jsonl: no JSON lines (empty file)");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + "}\n{\"id\":\"a\"," + ok + "}"),
            "p.jsonl:2: field \"id\": \"a\" (condition \"\", turn 0) repeats line 1");
  // The same id under another condition or turn is fine.
  EXPECT_EQ(ErrorOf("{\"id\":\"a\"," + ok + "}\n{\"id\":\"a\",\"turn\":1," + ok + "}\n{\"id\":\"a\",\"condition\":\"zeros\"," +
                    ok + "}"),
            "OK");
}

TEST(PredictionsTest, InvalidUtf8AndBrokenJsonNameTheField) {
  EXPECT_EQ(ErrorOf("{\"id\":\"a\",\"reference\":\"x\",\"prediction\":\"bad \xff here\"}"),
            "p.jsonl:1: field \"prediction\": text is not valid UTF-8 (byte 45 of the line)");
  EXPECT_EQ(ErrorOf("{\"id\":\"a\",\"reference\":\"\xc3(\",\"prediction\":\"y\"}"),
            "p.jsonl:1: field \"reference\": text is not valid UTF-8 (byte 24 of the line)");
  const std::string truncated = ErrorOf(R"({"id":"a","reference":"x","prediction":"y)");
  EXPECT_EQ(truncated.rfind("p.jsonl:1: field \"prediction\": invalid JSON: ", 0), 0u) << truncated;
  const std::string bad_key = ErrorOf(R"({"id":"a", 5:"x"})");
  EXPECT_EQ(bad_key.rfind("p.jsonl:1: in a field name: invalid JSON: ", 0), 0u) << bad_key;
  const std::string surrogate = ErrorOf(R"({"id":"a","reference":"\ud800","prediction":"y"})");
  EXPECT_EQ(surrogate.rfind("p.jsonl:1: field \"reference\": invalid JSON: ", 0), 0u) << surrogate;
}

TEST(PredictionsTest, LargeFilesParseInChunksWithExactLineNumbers) {
  // ~10 MB: more than one 4 MiB chunk, so several threads parse it where there are several cores.
  const std::string pad(300, 'x');
  std::string text;
  const int kLines = 32000;
  for (int i = 1; i <= kLines; ++i) {
    absl::StrAppend(&text, "{\"id\":\"", i, "\",\"reference\":\"", pad, "\",\"prediction\":\"p\"}\n");
    if (i % 1000 == 0) text += "\n";  // blank lines still count
  }
  auto r = ParsePredictionsJsonl(text, "big.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), static_cast<size_t>(kLines));
  EXPECT_EQ(r->back().id, std::to_string(kLines));
  EXPECT_EQ(r->back().line, kLines + kLines / 1000 - 1);
  EXPECT_EQ((*r)[20000].line, 20001 + 20);

  // A bad line late in the file and a repeated id: the earlier one (in line order) is reported.
  std::string bad = text + "{\"id\":\"x\"}\n";
  EXPECT_EQ(ErrorOf(bad), "p.jsonl:" + std::to_string(kLines + kLines / 1000 + 1) + ": field \"reference\": missing");
  std::string repeated = text + "{\"id\":\"7\",\"reference\":\"r\",\"prediction\":\"p\"}\n" + "{\"id\":\"x\"}\n";
  EXPECT_EQ(ErrorOf(repeated), "p.jsonl:" + std::to_string(kLines + kLines / 1000 + 1) +
                                   ": field \"id\": \"7\" (condition \"\", turn 0) repeats line 7");
}

TEST(PredictionsTest, MissingFileIsNotFound) {
  auto r = ReadPredictionsJsonl("/nonexistent/preds.jsonl");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/preds.jsonl"), std::string_view::npos);
}

TEST(PredictionsTest, JoinsReferencesByIdAndTurn) {
  auto refs = ParsePredictionsJsonl(
      "{\"id\":\"a\",\"question_type\":\"verify\",\"reference\":\"yes\"}\n"
      "{\"id\":\"a\",\"turn\":1,\"reference\":\"no\",\"answers\":[\"no\"]}\n",
      "r.jsonl", kReferencesFile);
  ASSERT_TRUE(refs.ok()) << refs.status();
  auto preds = ParsePredictionsJsonl(
      "{\"id\":\"a\",\"prediction\":\"yes\"}\n{\"id\":\"a\",\"turn\":1,\"prediction\":\"no\",\"condition\":\"zeros\"}\n",
      "p.jsonl", kPredictionsOnly);
  ASSERT_TRUE(preds.ok()) << preds.status();
  ASSERT_TRUE(JoinReferences(*refs, "r.jsonl", &*preds, "p.jsonl").ok());
  EXPECT_EQ((*preds)[0].reference, "yes");
  EXPECT_EQ((*preds)[0].question_type, "verify");
  EXPECT_EQ((*preds)[1].reference, "no");
  EXPECT_EQ((*preds)[1].answers, std::vector<std::string>{"no"});

  auto extra = ParsePredictionsJsonl("{\"id\":\"b\",\"prediction\":\"yes\"}\n", "p.jsonl",
                                     kPredictionsOnly);
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(JoinReferences(*refs, "r.jsonl", &*extra, "p.jsonl").message(),
            "p.jsonl:1: field \"id\": \"b\" (turn 0) has no reference in r.jsonl");
  auto partial = ParsePredictionsJsonl("{\"id\":\"a\",\"prediction\":\"yes\"}\n", "p.jsonl",
                                       kPredictionsOnly);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(JoinReferences(*refs, "r.jsonl", &*partial, "p.jsonl").message(),
            "r.jsonl:2: field \"id\": \"a\" (turn 1) has no prediction in p.jsonl");
}

}  // namespace
}  // namespace ecgbench::common::eval
