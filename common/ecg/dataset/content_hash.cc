// SHA-256, canonical JSON, content hashes and the artifact directory layout.
#include "common/ecg/dataset/content_hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"

namespace ecgbench::common::ecg {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(ctx_->md, data, size); }

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, digest, &len);
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(len) * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

absl::StatusOr<std::string> Sha256FileHex(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string msg = absl::StrCat(path, ": cannot read: ", std::strerror(errno));
      ::close(fd);
      return absl::InternalError(msg);
    }
    if (n == 0) break;
    h.Update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.HexDigest();
}

std::string CanonicalJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ContentHash::ContentHash(std::string kind) : kind_(std::move(kind)) {}

ContentHash& ContentHash::SetParameters(nlohmann::json parameters) {
  parameters_ = std::move(parameters);
  return *this;
}

absl::Status ContentHash::AddFile(const std::string& path, FileIdentityMode mode, std::string name) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::string msg = absl::StrCat(path, ": cannot stat: ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  nlohmann::json id = nlohmann::json::object();
  id["name"] = name.empty() ? path : std::move(name);
  id["size"] = static_cast<int64_t>(st.st_size);
  if (mode == FileIdentityMode::kFast) {
    id["mtime_ns"] = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  } else {
    absl::StatusOr<std::string> sha = Sha256FileHex(path);
    if (!sha.ok()) return sha.status();
    id["sha256"] = *sha;
  }
  inputs_.push_back(std::move(id));
  return absl::OkStatus();
}

absl::Status ContentHash::AddTree(const std::string& dir, FileIdentityMode mode, const std::string& name_prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  std::vector<std::string> rel;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) rel.push_back(fs::relative(it->path(), dir, ec).generic_string());
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::sort(rel.begin(), rel.end());
  for (const std::string& r : rel) {
    if (absl::Status st = AddFile((fs::path(dir) / r).string(), mode, name_prefix + r); !st.ok()) return st;
  }
  return absl::OkStatus();
}

ContentHash& ContentHash::AddInput(std::string name, nlohmann::json identity) {
  nlohmann::json id = nlohmann::json::object();
  id["name"] = std::move(name);
  id["identity"] = std::move(identity);
  inputs_.push_back(std::move(id));
  return *this;
}

nlohmann::json ContentHash::Canonical() const {
  std::vector<nlohmann::json> sorted = inputs_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a["name"].get_ref<const std::string&>() < b["name"].get_ref<const std::string&>();
  });
  nlohmann::json j = nlohmann::json::object();
  j["kind"] = kind_;
  j["parameters"] = parameters_;
  j["inputs"] = std::move(sorted);
  return j;
}

std::string ContentHash::Hex() const { return Sha256Hex(CanonicalJson(Canonical())); }

absl::StatusOr<std::string> ArtifactDir(const std::string& root, std::string_view kind, std::string_view hash) {
  if (kind.empty() || kind.find('/') != std::string_view::npos || kind == "." || kind == "..") {
    return absl::InvalidArgumentError(absl::StrCat("artifact kind \"", std::string(kind), "\" is not a plain name"));
  }
  const bool hex = std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (hash.size() < 8 || !hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact hash \"", std::string(hash), "\" is not >= 8 lowercase hex characters"));
  }
  return absl::StrCat(root, "/", std::string(kind), "/", std::string(hash.substr(0, 2)), "/", std::string(hash));
}

bool IsArtifactComplete(const std::string& artifact_dir) { return FileExists(artifact_dir + "/.complete"); }

absl::Status MarkArtifactComplete(const std::string& artifact_dir, const nlohmann::json& info) {
  return WriteFileAtomic(artifact_dir + "/.complete", info.dump(2) + "\n");
}

}  // namespace ecgbench::common::ecg
