// RFC 4180 CSV reader for the dataset catalogs (ptbxl_database.csv, record_list.csv,
// machine_measurements.csv, exams.csv): quoted fields with commas, doubled quotes and embedded
// CR/LF, CRLF or LF line ends, a header row giving column lookup by name, UTF-8 validation.
// Streams rows from a memory buffer or from a file (64 KiB reads; the file is never loaded whole).
//
// Errors are InvalidArgument "NAME:LINE: reason" (LINE = 1-based physical line where the row
// starts), e.g. "ptbxl_database.csv:17: unterminated quoted field",
// "ptbxl_database.csv:9: 5 fields, header has 28", "exams.csv:4: invalid UTF-8 in field 2".
// A row error is recoverable: the reader has moved past the bad row (for a quoting error, to the
// end of the physical line), so the caller may count it and call ReadRow again.
//
// Not thread-safe; one reader per thread. Movable, not copyable.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::ecg {

struct CsvOptions {
  bool has_header = true;  // the first row names the columns; later rows must have as many fields
  char delimiter = ',';
};

class CsvReader {
 public:
  // `name` is used in messages (usually the file's base name). Reads the header row when
  // options.has_header; errors: NotFound for a missing file, InvalidArgument for an empty file
  // ("NAME: empty file"), UTF-16 text ("NAME: UTF-16 text (byte-order mark FF FE); expected UTF-8")
  // or a bad header row.
  static absl::StatusOr<CsvReader> Open(const std::string& path, CsvOptions options = {});
  static absl::StatusOr<CsvReader> FromBuffer(std::string name, std::string data, CsvOptions options = {});

  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  const std::string& name() const { return name_; }
  const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `column` (exact match) or -1.
  int ColumnIndex(std::string_view column) const;
  // Like ColumnIndex; InvalidArgument "NAME: missing column 'x'" when absent.
  absl::StatusOr<int> RequireColumn(std::string_view column) const;

  // Reads the next row into `fields` (its strings are reused, so a loop allocates nothing once
  // warm). Returns false at the end of input. Lines that are completely empty are skipped.
  absl::StatusOr<bool> ReadRow(std::vector<std::string>& fields);
  // Physical line (1-based) where the row last returned by ReadRow started.
  int line() const { return row_line_; }
  // "NAME:LINE" of the last row, for callers' own messages.
  std::string Where() const;

 private:
  CsvReader() = default;
  absl::Status Init();
  int Peek();
  int Get();
  bool Refill();
  void SkipRestOfLine();
  absl::Status RowError(int line, const std::string& reason);

  std::string name_;
  CsvOptions options_;
  std::vector<std::string> header_;
  // Input: buffer_[pos_, end_); for a file, refilled from file_.
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  std::FILE* file_ = nullptr;
  bool eof_ = false;
  int cur_line_ = 1;
  int row_line_ = 0;
};

}  // namespace ecgbench::common::ecg
