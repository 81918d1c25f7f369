// Buffered checksummed writes, read-only mmaps and directory fsync for the segment store.
#include "common/ecg/dataset/store_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "xxhash.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"

namespace ecgbench::common::ecg::internal {

namespace {
constexpr size_t kBufferBytes = 1 << 20;
}

absl::Status ErrnoStatus(const std::string& path, std::string_view what) {
  const int err = errno;
  std::string msg = absl::StrCat(path, ": ", std::string(what), ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EEXIST || err == ENOTEMPTY) return absl::AlreadyExistsError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(msg);
  return absl::InternalError(msg);
}

StreamChecksum::StreamChecksum() : state_(XXH3_createState()) { Reset(); }

void StreamChecksum::Reset() { XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_)); }

StreamChecksum::~StreamChecksum() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void StreamChecksum::Update(const void* data, size_t size) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

namespace {
std::string Hex128(XXH128_hash_t h) { return absl::StrFormat("%016x%016x", h.high64, h.low64); }
}  // namespace

std::string StreamChecksum::HexDigest() const {
  return Hex128(XXH3_128bits_digest(static_cast<const XXH3_state_t*>(state_)));
}

std::string ChecksumHex(std::string_view data) { return Hex128(XXH3_128bits(data.data(), data.size())); }

OutFile::~OutFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status OutFile::Open(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoStatus(path, "cannot create");
  buf_.resize(kBufferBytes);
  checksum_.Reset();
  used_ = 0;
  bytes_ = 0;
  return absl::OkStatus();
}

absl::Status OutFile::Flush() {
  size_t off = 0;
  while (off < used_) {
    ssize_t n = ::write(fd_, buf_.data() + off, used_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(path_, "cannot write");
    }
    off += static_cast<size_t>(n);
  }
  used_ = 0;
  return absl::OkStatus();
}

absl::Status OutFile::Write(const void* data, size_t size) {
  checksum_.Update(data, size);
  bytes_ += size;
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    if (used_ == buf_.size()) {
      if (absl::Status st = Flush(); !st.ok()) return st;
    }
    const size_t take = std::min(size, buf_.size() - used_);
    std::memcpy(buf_.data() + used_, p, take);
    used_ += take;
    p += take;
    size -= take;
  }
  return absl::OkStatus();
}

absl::Status OutFile::Close(std::string* checksum) {
  if (absl::Status st = Flush(); !st.ok()) return st;
  if (::fsync(fd_) != 0) return ErrnoStatus(path_, "cannot fsync");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoStatus(path_, "cannot close");
  }
  fd_ = -1;
  if (checksum != nullptr) *checksum = checksum_.HexDigest();
  buf_.clear();
  buf_.shrink_to_fit();
  return absl::OkStatus();
}

MappedFile::~MappedFile() { Reset(); }

MappedFile::MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    Reset();
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

void MappedFile::Reset() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

absl::StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status s = ErrnoStatus(path, "cannot stat");
    ::close(fd);
    return s;
  }
  MappedFile m;
  if (st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      absl::Status s = ErrnoStatus(path, "cannot mmap");
      ::close(fd);
      return s;
    }
    m.data_ = static_cast<const char*>(p);
    m.size_ = static_cast<size_t>(st.st_size);
  }
  ::close(fd);
  return m;
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(dir, "cannot open directory");
  int rc = ::fsync(fd);
  absl::Status st = rc == 0 ? absl::OkStatus() : ErrnoStatus(dir, "cannot fsync directory");
  ::close(fd);
  return st;
}

absl::Status RenamePath(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(to, absl::StrCat("cannot rename ", from, " to it"));
  return absl::OkStatus();
}

absl::Status LinkOrCopy(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  if (errno != EXDEV && errno != EPERM && errno != EMLINK) return ErrnoStatus(to, absl::StrCat("cannot link ", from, " to it"));
  std::error_code ec;
  std::filesystem::copy_file(from, to, ec);
  if (ec) return absl::InternalError(absl::StrCat(to, ": cannot copy ", from, ": ", ec.message()));
  return absl::OkStatus();
}

std::string ShardFileName(int64_t shard) { return absl::StrFormat("shard-%05d.f32", shard); }

nlohmann::json MakeManifest(const ManifestInputs& in) {
  nlohmann::json m = nlohmann::json::object();
  m["format"] = kStoreFormat;
  m["version"] = kSegmentStoreVersion;
  m["segment_length"] = in.segment_length;
  m["leads"] = std::vector<std::string>(kStandardLeads.begin(), kStandardLeads.end());
  m["sampling_rate_hz"] = in.sampling_rate_hz;
  m["dtype"] = "float32";
  m["byte_order"] = "little";
  m["layout"] = "segment-major [n x leads x L], C order";
  m["shard_bytes"] = in.shard_bytes;
  m["num_segments"] = in.counts.value("segments", int64_t{0});
  m["shards"] = in.shards;
  m["index"] = nlohmann::json{{"file", kIndexFile}, {"bytes", in.index_bytes}, {"xxh3_128", in.index_checksum}};
  m["parameters"] = in.parameters;
  m["content_hash"] = in.content_hash;
  m["counts"] = in.counts;
  return m;
}

absl::Status PublishStoreDir(const std::string& dir, const std::string& final_dir, const nlohmann::json& manifest) {
  OutFile f;
  if (absl::Status st = f.Open(dir + "/" + kManifestFile); !st.ok()) return st;
  if (absl::Status st = f.Write(manifest.dump(2) + "\n"); !st.ok()) return st;
  if (absl::Status st = f.Close(nullptr); !st.ok()) return st;
  if (absl::Status st = FsyncDir(dir); !st.ok()) return st;
  if (absl::Status st = RenamePath(dir, final_dir); !st.ok()) return st;
  std::string parent = std::filesystem::path(final_dir).parent_path().string();
  return FsyncDir(parent.empty() ? "." : parent);
}

absl::StatusOr<std::string> MakeTempStoreDir(const std::string& final_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(final_dir, ec)) return absl::AlreadyExistsError(absl::StrCat(final_dir, ": already exists"));
  std::string tmp = absl::StrCat(final_dir, ".tmp-", ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return absl::InternalError(absl::StrCat(tmp, ": cannot create directory: ", ec.message()));
  return tmp;
}

}  // namespace ecgbench::common::ecg::internal
