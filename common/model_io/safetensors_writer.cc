// SafetensorsWriter: header serialisation (nlohmann-json for string escaping) and a streaming
// atomic write, so writing never needs a second copy of the weights in memory.
#include "common/model_io/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "common/model_io/absl_view.h"

namespace ecgbench::common::model_io {
namespace {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }  // valid UTF-8 (checked on Add)

absl::Status WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, std::min<size_t>(size, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SafetensorsWriter::Add(std::string name, DType dtype, std::vector<int64_t> shape, const void* data,
                                    size_t bytes) {
  if (name == "__metadata__") return absl::InvalidArgumentError("tensor name \"__metadata__\" is reserved");
  if (!IsValidUtf8(name)) return absl::InvalidArgumentError(absl::StrCat("tensor name '", name, "' is not valid UTF-8"));
  for (const Entry& e : tensors_) {
    if (e.name == name) return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' added twice"));
  }
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': negative dimension ", d));
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d) / 8) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': shape too large"));
    }
    count *= static_cast<uint64_t>(d);
  }
  if (count * DTypeSize(dtype) != bytes) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': ", bytes, " bytes given but shape needs ",
                                                   count * DTypeSize(dtype), " of ", Sv(DTypeName(dtype))));
  }
  if (bytes > 0 && data == nullptr) return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': null data"));
  tensors_.push_back(Entry{std::move(name), dtype, std::move(shape), data, bytes});
  return absl::OkStatus();
}

absl::Status SafetensorsWriter::AddFloat32(std::string name, std::vector<int64_t> shape,
                                           absl::Span<const float> values, DType stored_as) {
  if (!IsFloatingWeightDType(stored_as)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': cannot store float32 values as ", Sv(DTypeName(stored_as))));
  }
  const size_t bytes = values.size() * DTypeSize(stored_as);
  auto buffer = std::make_unique<unsigned char[]>(std::max<size_t>(bytes, 1));
  absl::Status st = ConvertFromFloat32(values.data(), values.size(), stored_as, buffer.get());
  if (!st.ok()) return st;
  st = Add(std::move(name), stored_as, std::move(shape), buffer.get(), bytes);
  if (st.ok()) owned_.push_back(std::move(buffer));
  return st;
}

absl::Status SafetensorsWriter::SetMetadata(const std::string& key, const std::string& value) {
  if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat("metadata '", key, "' is not valid UTF-8"));
  }
  metadata_[key] = value;
  return absl::OkStatus();
}

std::vector<const SafetensorsWriter::Entry*> SafetensorsWriter::Ordered() const {
  std::vector<const Entry*> order;
  order.reserve(tensors_.size());
  for (const Entry& e : tensors_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    const size_t sa = DTypeSize(a->dtype), sb = DTypeSize(b->dtype);
    if (sa != sb) return sa > sb;
    return a->name < b->name;
  });
  return order;
}

std::string SafetensorsWriter::SerializeHeader() const {
  std::string json = "{";
  if (!metadata_.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata_) {
      if (!first) json += ',';
      first = false;
      absl::StrAppend(&json, Quote(key), ":", Quote(value));
    }
    json += '}';
  }
  uint64_t offset = 0;
  for (const Entry* e : Ordered()) {
    if (json.size() > 1) json += ',';
    absl::StrAppend(&json, Quote(e->name), ":{\"dtype\":\"", Sv(DTypeName(e->dtype)), "\",\"shape\":[");
    for (size_t i = 0; i < e->shape.size(); ++i) absl::StrAppend(&json, i ? "," : "", e->shape[i]);
    absl::StrAppend(&json, "],\"data_offsets\":[", offset, ",", offset + e->bytes, "]}");
    offset += e->bytes;
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);  // little-endian host
  return out + json;
}

std::string SafetensorsWriter::SerializeToString() const {
  std::string out = SerializeHeader();
  for (const Entry* e : Ordered()) out.append(static_cast<const char*>(e->data), e->bytes);
  return out;
}

absl::Status SafetensorsWriter::Write(const std::string& path) const {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat(tmp, ": cannot create: ", std::strerror(errno)));
  const std::string header = SerializeHeader();
  absl::Status st = WriteAll(fd, header.data(), header.size(), tmp);
  for (const Entry* e : Ordered()) {
    if (!st.ok()) break;
    st = WriteAll(fd, e->data, e->bytes, tmp);
  }
  if (st.ok() && ::fsync(fd) != 0) st = absl::InternalError(absl::StrCat(tmp, ": cannot fsync: ", std::strerror(errno)));
  if (::close(fd) != 0 && st.ok()) st = absl::InternalError(absl::StrCat(tmp, ": cannot close: ", std::strerror(errno)));
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = absl::InternalError(absl::StrCat(path, ": cannot rename into place: ", std::strerror(errno)));
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace ecgbench::common::model_io
