// libFuzzer target for the CSV reader: any input must read or fail cleanly, every ReadRow call must
// make progress, fields must be valid UTF-8, and rows written back with full quoting must read
// back identical. The first byte picks the options. Built and run by run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ecg/formats/csv_reader.h"
#include "common/ecg/formats/utf8.h"

namespace {

using ecgbench::common::ecg::CsvOptions;
using ecgbench::common::ecg::CsvReader;

std::string Quote(const std::vector<std::string>& fields, char delimiter) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(delimiter);
    out.push_back('"');
    for (char c : fields[i]) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  CsvOptions options;
  options.has_header = (data[0] & 1) != 0;
  options.delimiter = (data[0] & 2) != 0 ? ';' : ',';
  absl::StatusOr<CsvReader> csv =
      CsvReader::FromBuffer("fuzz.csv", std::string(reinterpret_cast<const char*>(data) + 1, size - 1), options);
  if (!csv.ok()) return 0;
  std::vector<std::string> fields;
  for (size_t calls = 0;; ++calls) {
    if (calls > size + 2) __builtin_trap();  // a ReadRow call that consumed nothing
    absl::StatusOr<bool> got = csv->ReadRow(fields);
    if (!got.ok()) continue;
    if (!*got) break;
    for (const std::string& f : fields) {
      if (!ecgbench::common::ecg::IsValidUtf8(f)) __builtin_trap();
    }
    // A row of one empty field cannot be written distinguishably from an empty line.
    if (fields.size() == 1 && fields[0].empty()) continue;
    CsvOptions plain;
    plain.has_header = false;
    plain.delimiter = options.delimiter;
    absl::StatusOr<CsvReader> again = CsvReader::FromBuffer("again.csv", Quote(fields, options.delimiter), plain);
    std::vector<std::string> back;
    if (!again.ok()) __builtin_trap();
    absl::StatusOr<bool> read = again->ReadRow(back);
    if (!read.ok() || !*read || back != fields) __builtin_trap();
  }
  return 0;
}
