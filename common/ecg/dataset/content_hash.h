// Content hashes that key preprocessing artifacts, so that a second experiment with the same inputs
// and parameters reuses the first one's output, and the artifact directory layout.
//  - Sha256: incremental SHA-256 (OpenSSL EVP), hex output.
//  - CanonicalJson: compact JSON with object keys sorted by byte value (nlohmann::json's std::map
//    order), no whitespace, UTF-8 kept as is, numbers in nlohmann's shortest round-trip form
//    (1.0 -> "1.0", 1 -> "1"; NaN/Inf -> null). Equal values give equal text.
//  - ContentHash: SHA-256 (hex) of CanonicalJson({"kind", "parameters", "inputs"}), inputs sorted by
//    name. A file's identity is {name, size, mtime_ns} in kFast mode (stat only) or
//    {name, size, sha256} in kStrict mode (reads the file). Names default to the path as given.
//  - Artifacts live in <root>/<kind>/<hash[0:2]>/<hash>/, complete once `.complete` exists; the
//    marker is written last (atomically), so a crash leaves an incomplete directory that is redone.
// Sha256 and ContentHash are thread-compatible; the free functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // 64 lowercase hex characters; the object is reset afterwards.
  std::string HexDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string Sha256Hex(std::string_view data);
// Streams the file; NotFound/Internal naming the path on I/O errors.
absl::StatusOr<std::string> Sha256FileHex(const std::string& path);

std::string CanonicalJson(const nlohmann::json& value);

enum class FileIdentityMode { kFast, kStrict };

class ContentHash {
 public:
  // `kind`: what the artifact is ("segments", "splits", "tokenizer", ...).
  explicit ContentHash(std::string kind);

  ContentHash& SetParameters(nlohmann::json parameters);
  // Adds a file's identity; `name` defaults to `path`. NotFound naming the path when absent,
  // InvalidArgument when it is not a regular file.
  absl::Status AddFile(const std::string& path, FileIdentityMode mode, std::string name = "");
  // Adds every regular file under `dir` (recursively), named "<name_prefix><path relative to dir>".
  absl::Status AddTree(const std::string& dir, FileIdentityMode mode, const std::string& name_prefix = "");
  // Adds an input that is not a file (another artifact's hash, a dataset version, ...).
  ContentHash& AddInput(std::string name, nlohmann::json identity);

  nlohmann::json Canonical() const;  // {"inputs": [...sorted by name], "kind": ..., "parameters": ...}
  std::string Hex() const;           // Sha256Hex(CanonicalJson(Canonical()))

 private:
  std::string kind_;
  nlohmann::json parameters_ = nlohmann::json::object();
  std::vector<nlohmann::json> inputs_;  // each {"name": ..., ...identity}
};

// <root>/<kind>/<hash[0:2]>/<hash>. InvalidArgument when kind is empty or holds '/' or "..", or
// hash is not at least 8 lowercase hex characters.
absl::StatusOr<std::string> ArtifactDir(const std::string& root, std::string_view kind, std::string_view hash);
bool IsArtifactComplete(const std::string& artifact_dir);
// Writes <artifact_dir>/.complete (atomically, after everything else): `info` as JSON.
absl::Status MarkArtifactComplete(const std::string& artifact_dir, const nlohmann::json& info);

}  // namespace ecgbench::common::ecg
