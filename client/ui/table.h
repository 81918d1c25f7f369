// A plain text table (aligned columns, a dashed rule under the header) and its CSV form (RFC 4180
// quoting). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ecgbench::client {

struct Table {
  std::vector<std::string> header;
  // Per column: right-align (numbers). Missing entries mean left-aligned.
  std::vector<bool> right_align;
  // Rows may be shorter than the header; missing cells are empty.
  std::vector<std::vector<std::string>> rows;
};

// Columns separated by two spaces, each as wide as its widest cell, a line of dashes under the
// header, no trailing spaces, every line ends with '\n'.
std::string RenderTable(const Table& table);

// Header row and rows as CSV, lines end with "\n".
std::string RenderCsv(const Table& table);

// One CSV field: quoted when it holds a comma, a quote, CR or LF; quotes inside are doubled.
std::string CsvField(absl::string_view text);

}  // namespace ecgbench::client
