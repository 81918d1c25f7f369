// Internal file helpers of the segment store (not a public API): a buffered, checksummed output
// file with fsync-on-close, read-only memory maps, directory fsync. Errors name the path.
// Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/dataset/content_hash.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg::internal {

// XXH3-128 of a byte stream as 32 lowercase hex digits (the store's checksums: integrity against
// torn or corrupted files, not a security boundary; ~20x faster than SHA-256, which cost as much
// as the rest of the preprocessing write path). Artifact keys stay SHA-256 (content_hash.h).
class StreamChecksum {
 public:
  StreamChecksum();
  ~StreamChecksum();
  StreamChecksum(const StreamChecksum&) = delete;
  StreamChecksum& operator=(const StreamChecksum&) = delete;
  void Reset();  // back to the empty stream
  void Update(const void* data, size_t size);
  std::string HexDigest() const;

 private:
  void* state_;  // XXH3_state_t
};
std::string ChecksumHex(std::string_view data);

// Appends through a 1 MiB buffer, checksumming everything written (StreamChecksum).
class OutFile {
 public:
  OutFile() = default;
  ~OutFile();
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;

  absl::Status Open(const std::string& path);  // create/truncate
  absl::Status Write(const void* data, size_t size);
  absl::Status Write(std::string_view s) { return Write(s.data(), s.size()); }
  // Flushes, fsyncs and closes; `checksum` gets the hex digest of all bytes written.
  absl::Status Close(std::string* checksum);
  bool is_open() const { return fd_ >= 0; }
  uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  absl::Status Flush();

  std::string path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  std::vector<char> buf_;
  size_t used_ = 0;
  StreamChecksum checksum_;
};

// A read-only, shared mapping of a whole file (an empty file maps to nullptr, size 0).
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  static absl::StatusOr<MappedFile> Open(const std::string& path);
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Reset();
  const char* data_ = nullptr;
  size_t size_ = 0;
};

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kIndexFile = "index.jsonl";
inline constexpr const char* kStoreFormat = "ecgbench-segment-store";
// "shard-00042.f32"
std::string ShardFileName(int64_t shard);
// The manifest.json object shared by the writer and MergeStores (see docs/data.md).
struct ManifestInputs {
  int64_t segment_length = 0;
  double sampling_rate_hz = 0;
  uint64_t shard_bytes = 0;
  nlohmann::json shards;  // [{"file", "segments", "bytes", "xxh3_128"}]
  uint64_t index_bytes = 0;
  std::string index_checksum;
  nlohmann::json parameters;
  std::string content_hash;
  nlohmann::json counts;  // already containing segments/records/shards
};
nlohmann::json MakeManifest(const ManifestInputs& in);
// Writes manifest.json into `dir` (fsynced), fsyncs `dir`, renames it to `final_dir`, fsyncs the parent.
absl::Status PublishStoreDir(const std::string& dir, const std::string& final_dir, const nlohmann::json& manifest);
// "<final_dir>.tmp-<pid>", created empty (a stale one from this pid is removed). AlreadyExists
// when final_dir exists.
absl::StatusOr<std::string> MakeTempStoreDir(const std::string& final_dir);

absl::Status ErrnoStatus(const std::string& path, std::string_view what);
absl::Status FsyncDir(const std::string& dir);
// rename(2) with an error naming both paths.
absl::Status RenamePath(const std::string& from, const std::string& to);
// Hard link, or a copy when the two paths are on different filesystems (EXDEV/EPERM).
absl::Status LinkOrCopy(const std::string& from, const std::string& to);

}  // namespace ecgbench::common::ecg::internal
