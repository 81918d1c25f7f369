// Manifest parsing and the prepared copy of the bad-input corpus (corpus.h).
#include "tests/unit/bad_input/corpus.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/unit/testing/run_command.h"

namespace ecgbench::bad_input {
namespace {

namespace fs = std::filesystem;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// \t, \n, \\ and \xHH; false on any other escape.
bool Unescape(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out->push_back(in[i]);
      continue;
    }
    if (++i == in.size()) return false;
    switch (in[i]) {
      case 't': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case '\\': out->push_back('\\'); break;
      case 'x': {
        const int hi = i + 1 < in.size() ? HexDigit(in[i + 1]) : -1;
        const int lo = i + 2 < in.size() ? HexDigit(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  return true;
}

}  // namespace

void PrintTo(const Case& c, std::ostream* os) { *os << c.path << " (expected.tsv:" << c.line << ")"; }

std::string SourceCorpusDir() { return ECGBENCH_BAD_CORPUS_DIR; }

absl::Status ReadManifest(const std::string& file, std::vector<Case>* cases) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(file, ": cannot open"));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, absl::MaxSplits('\t', 3));
    if (cols.size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", n, ": expected 4 tab-separated columns"));
    }
    Case c{cols[0], cols[1], cols[2], "", n};
    if (!Unescape(cols[3], &c.message)) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", n, ": bad escape in the message"));
    }
    cases->push_back(std::move(c));
  }
  return absl::OkStatus();
}

std::vector<Case> CasesOfKinds(const std::vector<std::string>& kind_prefixes) {
  std::vector<Case> all, out;
  if (!ReadManifest(SourceCorpusDir() + "/expected.tsv", &all).ok()) return out;
  for (Case& c : all) {
    for (const std::string& prefix : kind_prefixes) {
      if (c.kind.rfind(prefix, 0) == 0) {
        out.push_back(std::move(c));
        break;
      }
    }
  }
  return out;
}

PreparedCorpus::PreparedCorpus() {
  if (root().empty()) {
    error_ = "no temporary directory";
    return;
  }
  std::error_code ec;
  fs::copy(SourceCorpusDir(), root(), fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) {
    error_ = absl::StrCat("cannot copy ", SourceCorpusDir(), " to ", root(), ": ", ec.message());
    return;
  }
  const std::string command = absl::StrCat("python3 '", SourceCorpusDir(), "/make_binary.py' '", root(), "'");
  const test_support::CommandResult r = test_support::RunCommand(command);
  if (!r.ok()) error_ = absl::StrCat(command, " failed (exit ", r.exit_code, "): ", r.output);
}

std::string PreparedCorpus::Expand(const std::string& message) const {
  return absl::StrReplaceAll(message, {{"$D", root()}});
}

std::string TestName(const Case& c) {
  std::string name;
  for (char ch : c.path) name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return name;
}

std::string Describe(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

}  // namespace ecgbench::bad_input
