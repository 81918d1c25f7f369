// RFC 4180 CSV reader: a byte-at-a-time state machine over a refillable buffer.
#include "common/ecg/formats/csv_reader.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/formats/utf8.h"

namespace ecgbench::common::ecg {

namespace {
constexpr size_t kChunk = 64 * 1024;

std::string Printable(int c) {
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  static const char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[(c >> 4) & 0xF] + kHex[c & 0xF];
}
}  // namespace

absl::StatusOr<CsvReader> CsvReader::Open(const std::string& path, CsvOptions options) {
  CsvReader r;
  r.name_ = path;
  r.options_ = options;
  r.file_ = std::fopen(path.c_str(), "rb");
  if (r.file_ == nullptr) {
    const int err = errno;
    std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  }
  r.buffer_.resize(kChunk);
  absl::Status st = r.Init();
  if (!st.ok()) return st;
  return r;
}

absl::StatusOr<CsvReader> CsvReader::FromBuffer(std::string name, std::string data, CsvOptions options) {
  CsvReader r;
  r.name_ = std::move(name);
  r.options_ = options;
  r.buffer_ = std::move(data);
  r.end_ = r.buffer_.size();
  r.eof_ = true;
  absl::Status st = r.Init();
  if (!st.ok()) return st;
  return r;
}

CsvReader::CsvReader(CsvReader&& o) noexcept { *this = std::move(o); }

CsvReader& CsvReader::operator=(CsvReader&& o) noexcept {
  if (this != &o) {
    if (file_ != nullptr) std::fclose(file_);
    name_ = std::move(o.name_);
    options_ = o.options_;
    header_ = std::move(o.header_);
    buffer_ = std::move(o.buffer_);
    pos_ = o.pos_;
    end_ = o.end_;
    file_ = std::exchange(o.file_, nullptr);
    eof_ = o.eof_;
    cur_line_ = o.cur_line_;
    row_line_ = o.row_line_;
  }
  return *this;
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status CsvReader::Init() {
  // A UTF-8 byte-order mark (Excel exports) is not part of the first column's name.
  if (Peek() == 0xEF) {
    if (end_ - pos_ < 3 && !eof_) Refill();
    if (end_ - pos_ >= 3 && static_cast<unsigned char>(buffer_[pos_ + 1]) == 0xBB &&
        static_cast<unsigned char>(buffer_[pos_ + 2]) == 0xBF) {
      pos_ += 3;
    }
  }
  // A UTF-16 byte-order mark: every other byte is NUL, which would surface as "invalid UTF-8".
  if (Peek() == 0xFF || Peek() == 0xFE) {
    if (end_ - pos_ < 2 && !eof_) Refill();
    const int second = end_ - pos_ >= 2 ? static_cast<unsigned char>(buffer_[pos_ + 1]) : -1;
    if ((Peek() == 0xFF && second == 0xFE) || (Peek() == 0xFE && second == 0xFF)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ": UTF-16 text (byte-order mark ", Peek() == 0xFF ? "FF FE" : "FE FF", "); expected UTF-8"));
    }
  }
  if (!options_.has_header) return absl::OkStatus();
  absl::StatusOr<bool> got = ReadRow(header_);
  if (!got.ok()) return got.status();
  if (!*got) return absl::InvalidArgumentError(absl::StrCat(name_, ": empty file"));
  return absl::OkStatus();
}

bool CsvReader::Refill() {
  if (eof_ || file_ == nullptr) return false;
  // Keep unread bytes (at most a few, from Init's look-ahead) in front.
  const size_t keep = end_ - pos_;
  std::memmove(&buffer_[0], buffer_.data() + pos_, keep);
  pos_ = 0;
  end_ = keep;
  const size_t n = std::fread(&buffer_[keep], 1, buffer_.size() - keep, file_);
  end_ += n;
  if (n == 0) eof_ = true;
  return n > 0;
}

inline int CsvReader::Peek() {
  if (pos_ == end_ && !Refill()) return EOF;
  return static_cast<unsigned char>(buffer_[pos_]);
}

inline int CsvReader::Get() {
  if (pos_ == end_ && !Refill()) return EOF;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

void CsvReader::SkipRestOfLine() {
  for (int c = Get(); c != EOF; c = Get()) {
    if (c == '\n') {
      ++cur_line_;
      return;
    }
    if (c == '\r') {
      if (Peek() == '\n') Get();
      ++cur_line_;
      return;
    }
  }
}

absl::Status CsvReader::RowError(int line, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", reason));
}

std::string CsvReader::Where() const { return absl::StrCat(name_, ":", row_line_); }

int CsvReader::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == column) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<int> CsvReader::RequireColumn(std::string_view column) const {
  const int i = ColumnIndex(column);
  if (i < 0) return absl::InvalidArgumentError(absl::StrCat(name_, ": missing column '", std::string(column), "'"));
  return i;
}

absl::StatusOr<bool> CsvReader::ReadRow(std::vector<std::string>& fields) {
  // Skip completely empty lines.
  for (;;) {
    const int c = Peek();
    if (c == EOF) return false;
    if (c == '\n') {
      Get();
      ++cur_line_;
    } else if (c == '\r') {
      Get();
      if (Peek() == '\n') Get();
      ++cur_line_;
    } else {
      break;
    }
  }
  row_line_ = cur_line_;
  const int delim = static_cast<unsigned char>(options_.delimiter);
  size_t nf = 0;
  for (;;) {  // one field per iteration
    if (nf == fields.size()) fields.emplace_back();
    std::string& field = fields[nf++];
    field.clear();
    int c = Get();
    if (c == '"') {
      const int open_line = cur_line_;
      for (;;) {
        c = Get();
        if (c == EOF) return RowError(open_line, "unterminated quoted field");
        if (c == '"') {
          if (Peek() != '"') break;
          Get();
        } else if (c == '\n') {
          ++cur_line_;
        } else if (c == '\r' && Peek() != '\n') {
          ++cur_line_;
        }
        field.push_back(static_cast<char>(c));
      }
      c = Get();
      if (c != delim && c != '\n' && c != '\r' && c != EOF) {
        const int line = cur_line_;
        SkipRestOfLine();
        return RowError(line, absl::StrCat(Printable(c), " after closing quote in field ", nf));
      }
    } else {
      while (c != delim && c != '\n' && c != '\r' && c != EOF) {
        if (c == '"') {
          const int line = cur_line_;
          SkipRestOfLine();
          return RowError(line, absl::StrCat("quote inside unquoted field ", nf));
        }
        field.push_back(static_cast<char>(c));
        c = Get();
      }
    }
    if (c == delim) continue;
    if (c == '\r' && Peek() == '\n') Get();
    if (c != EOF) ++cur_line_;
    break;
  }
  if (fields.size() > nf) fields.resize(nf);
  for (size_t i = 0; i < nf; ++i) {
    if (!IsValidUtf8(fields[i])) return RowError(row_line_, absl::StrCat("invalid UTF-8 in field ", i + 1));
  }
  if (options_.has_header && !header_.empty() && nf != header_.size()) {
    return RowError(row_line_, absl::StrCat(nf, nf == 1 ? " field" : " fields", ", header has ", header_.size()));
  }
  return true;
}

}  // namespace ecgbench::common::ecg
