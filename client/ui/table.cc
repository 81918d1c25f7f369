// Text and CSV rendering of tables.
#include "client/ui/table.h"

#include <algorithm>

#include "client/ui/format.h"

namespace ecgbench::client {

namespace {
std::string RightTrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
}  // namespace

std::string RenderTable(const Table& table) {
  const size_t cols = table.header.size();
  std::vector<int> widths(cols, 0);
  for (size_t c = 0; c < cols; ++c) widths[c] = DisplayWidth(table.header[c]);
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < cols && c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < cols; ++c) {
      if (c > 0) line += "  ";
      const std::string cell = c < row.size() ? row[c] : "";
      const bool right = c < table.right_align.size() && table.right_align[c];
      line += Pad(cell, widths[c], right);
    }
    return RightTrim(std::move(line)) + "\n";
  };
  std::string out = render_row(table.header);
  std::vector<std::string> rule(cols);
  for (size_t c = 0; c < cols; ++c) rule[c] = std::string(static_cast<size_t>(widths[c]), '-');
  out += render_row(rule);
  for (const auto& row : table.rows) out += render_row(row);
  return out;
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string RenderCsv(const Table& table) {
  const size_t cols = table.header.size();
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < cols; ++c) {
      if (c > 0) line += ',';
      if (c < row.size()) line += CsvField(row[c]);
    }
    return line + "\n";
  };
  std::string out = render_row(table.header);
  for (const auto& row : table.rows) out += render_row(row);
  return out;
}

}  // namespace ecgbench::client
