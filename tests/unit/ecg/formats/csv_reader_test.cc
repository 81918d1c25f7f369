// CSV reader (RFC 4180) and UTF-8 validation: quoting, line ends, line numbers, streaming across
// buffer refills, and the exact error messages.
#include "common/ecg/formats/csv_reader.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/formats/utf8.h"
#include "gtest/gtest.h"
#include "tests/unit/ecg/formats/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// All rows of `data`, or the first error's message as a single-field row "ERROR: ...".
Rows ReadAll(const std::string& data, CsvOptions options = {}) {
  absl::StatusOr<CsvReader> csv = CsvReader::FromBuffer("t.csv", data, options);
  if (!csv.ok()) return {{absl::StrCat("ERROR: ", csv.status().message())}};
  Rows rows;
  std::vector<std::string> f;
  for (;;) {
    absl::StatusOr<bool> got = csv->ReadRow(f);
    if (!got.ok()) {
      rows.push_back({absl::StrCat("ERROR: ", got.status().message())});
      continue;
    }
    if (!*got) break;
    rows.push_back(f);
  }
  return rows;
}

TEST(CsvReaderTest, HeaderAndColumnsByName) {
  absl::StatusOr<CsvReader> csv = CsvReader::FromBuffer("t.csv", "ecg_id,patient_id,report\n1,15709.0,sinus\n");
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->header(), (std::vector<std::string>{"ecg_id", "patient_id", "report"}));
  EXPECT_EQ(csv->ColumnIndex("patient_id"), 1);
  EXPECT_EQ(csv->ColumnIndex("nope"), -1);
  EXPECT_EQ(csv->RequireColumn("nope").status().message(), "t.csv: missing column 'nope'");
  std::vector<std::string> f;
  ASSERT_TRUE(*csv->ReadRow(f));
  EXPECT_EQ(f, (std::vector<std::string>{"1", "15709.0", "sinus"}));
  EXPECT_EQ(csv->line(), 2);
  EXPECT_EQ(csv->Where(), "t.csv:2");
  EXPECT_FALSE(*csv->ReadRow(f));
}

TEST(CsvReaderTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  const std::string data =
      "a,b,c\r\n"
      "\"x, y\",\"say \"\"hi\"\"\",\"line1\r\nline2\nline3\"\r\n"
      "\"\",,plain\r\n"
      "4,5,6";  // no final line end
  Rows rows = ReadAll(data);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"x, y", "say \"hi\"", "line1\r\nline2\nline3"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"", "", "plain"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"4", "5", "6"}));
}

TEST(CsvReaderTest, LineNumbersCountEmbeddedNewlines) {
  absl::StatusOr<CsvReader> csv = CsvReader::FromBuffer("t.csv", "a,b\n1,\"two\nlines\"\n\n3,4\n");
  ASSERT_TRUE(csv.ok());
  std::vector<std::string> f;
  ASSERT_TRUE(*csv->ReadRow(f));
  EXPECT_EQ(csv->line(), 2);
  ASSERT_TRUE(*csv->ReadRow(f));  // the empty line 4 is skipped
  EXPECT_EQ(csv->line(), 5);
  EXPECT_EQ(f, (std::vector<std::string>{"3", "4"}));
}

TEST(CsvReaderTest, ByteOrderMarkAndNoHeaderMode) {
  Rows rows = ReadAll("\xEF\xBB\xBFx,y\n1,2\n");
  ASSERT_EQ(rows.size(), 1u);
  absl::StatusOr<CsvReader> csv = CsvReader::FromBuffer("t.csv", "\xEF\xBB\xBFx,y\n");
  EXPECT_EQ(csv->header()[0], "x");
  CsvOptions no_header;
  no_header.has_header = false;
  Rows loose = ReadAll("1\n2,3\n", no_header);
  EXPECT_EQ(loose, (Rows{{"1"}, {"2", "3"}}));
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  Rows semi = ReadAll("a;b\n\"1;2\";3\n", semicolon);
  EXPECT_EQ(semi, (Rows{{"1;2", "3"}}));
}

TEST(CsvReaderTest, StreamsFilesAcrossBufferRefills) {
  testing::TempDir dir;
  std::string data = "id,text\n";
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&data, i, ",\"row ", i, ", with a comma and a \"\"quote\"\"\nand a newline\"\r\n");
  }
  testing::WriteBytes(dir / "big.csv", data);
  absl::StatusOr<CsvReader> csv = CsvReader::Open(dir / "big.csv");
  ASSERT_TRUE(csv.ok()) << csv.status();
  std::vector<std::string> f;
  int n = 0;
  while (*csv->ReadRow(f)) {
    ASSERT_EQ(f[0], absl::StrCat(n));
    ASSERT_EQ(f[1], absl::StrCat("row ", n, ", with a comma and a \"quote\"\nand a newline"));
    ASSERT_EQ(csv->line(), 2 + 2 * n);
    ++n;
  }
  EXPECT_EQ(n, 20000);
}

TEST(CsvReaderTest, ErrorsNameFileAndLineAndAreRecoverable) {
  Rows rows = ReadAll("a,b,c\n1,2,3\n1,2\n\"x\"y,2,3\nab\"c,2,3\n4,5,6\n7,\"8,9\n");
  EXPECT_EQ(rows, (Rows{{"1", "2", "3"},
                        {"ERROR: t.csv:3: 2 fields, header has 3"},
                        {"ERROR: t.csv:4: 'y' after closing quote in field 1"},
                        {"ERROR: t.csv:5: quote inside unquoted field 1"},
                        {"4", "5", "6"},
                        {"ERROR: t.csv:7: unterminated quoted field"}}));
}

TEST(CsvReaderTest, InvalidUtf8IsReported) {
  Rows rows = ReadAll("a,b\nok,\"fine\"\n1,caf\xE9\n2,3\n");
  EXPECT_EQ(rows, (Rows{{"ok", "fine"}, {"ERROR: t.csv:3: invalid UTF-8 in field 2"}, {"2", "3"}}));
  EXPECT_EQ(ReadAll("a,\xFF\n")[0][0], "ERROR: t.csv:1: invalid UTF-8 in field 2");
}

TEST(CsvReaderTest, EmptyAndMissingFiles) {
  EXPECT_EQ(ReadAll("")[0][0], "ERROR: t.csv: empty file");
  EXPECT_EQ(ReadAll("\n\r\n")[0][0], "ERROR: t.csv: empty file");
  absl::StatusOr<CsvReader> missing = CsvReader::Open("/nonexistent/x.csv");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "/nonexistent/x.csv: cannot open: No such file or directory");
}

TEST(Utf8Test, WellFormedness) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Stra\xC3\x9F" "e \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\x80"), 2u);            // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("\xE0\x80\x80"), 0u);          // overlong 3-byte
  EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1u);         // UTF-16 surrogate
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);      // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("ok\xE2\x82"), 2u);            // truncated sequence
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);                  // lone continuation byte
  EXPECT_EQ(FindInvalidUtf8("\xC3\x28"), 0u);              // bad continuation
}

}  // namespace
}  // namespace ecgbench::common::ecg
