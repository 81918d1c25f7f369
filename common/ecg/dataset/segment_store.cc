// SegmentStore: read-only, memory-mapped access to a finished store, and Verify().
#include "common/ecg/dataset/segment_store.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/store_files.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {

struct SegmentStore::State {
  std::string dir;
  nlohmann::json manifest;
  int64_t length = 0;
  double rate = 0;
  uint64_t segment_bytes = 0;
  int64_t n = 0;
  struct Shard {
    std::string file;
    std::string checksum;
    int64_t first = 0;
    int64_t count = 0;
    internal::MappedFile map;
  };
  std::vector<Shard> shards;
  std::vector<uint32_t> shard_of;  // per segment
  internal::MappedFile index;
  std::string index_checksum;
  std::vector<uint64_t> line_start;  // n + 1 entries

  std::string Where(const std::string& file) const { return dir + "/" + file; }
};

namespace {

absl::Status FieldError(const std::string& where, const std::string& field, const char* expected) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": field \"", field, "\" missing or not ", expected));
}

absl::StatusOr<int64_t> GetInt(const nlohmann::json& j, const std::string& where, const std::string& field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) return FieldError(where, field, "an integer");
  return it->get<int64_t>();
}

absl::StatusOr<std::string> GetString(const nlohmann::json& j, const std::string& where, const std::string& field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return FieldError(where, field, "a string");
  return it->get<std::string>();
}

}  // namespace

SegmentStore::SegmentStore(std::unique_ptr<State> state) : s_(std::move(state)) {}
SegmentStore::~SegmentStore() = default;

absl::StatusOr<std::unique_ptr<SegmentStore>> SegmentStore::Open(const std::string& dir) {
  auto s = std::make_unique<State>();
  s->dir = dir;
  const std::string mpath = s->Where(internal::kManifestFile);
  absl::StatusOr<std::string> text = ReadFile(mpath);
  if (!text.ok()) return text.status();
  absl::StatusOr<nlohmann::json> parsed = ParseJson(*text, mpath);
  if (!parsed.ok()) return parsed.status();
  s->manifest = std::move(*parsed);
  const nlohmann::json& m = s->manifest;
  if (!m.is_object()) return absl::InvalidArgumentError(absl::StrCat(mpath, ": not a JSON object"));
  absl::StatusOr<std::string> format = GetString(m, mpath, "format");
  if (!format.ok()) return format.status();
  if (*format != internal::kStoreFormat) {
    return absl::InvalidArgumentError(absl::StrCat(mpath, ": field \"format\" is \"", *format, "\", expected \"",
                                                   internal::kStoreFormat, "\""));
  }
  absl::StatusOr<int64_t> version = GetInt(m, mpath, "version");
  if (!version.ok()) return version.status();
  if (*version != kSegmentStoreVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(mpath, ": unsupported store version ", *version, " (this build reads ", kSegmentStoreVersion, ")"));
  }
  absl::StatusOr<int64_t> length = GetInt(m, mpath, "segment_length");
  if (!length.ok()) return length.status();
  if (*length <= 0) return absl::InvalidArgumentError(absl::StrCat(mpath, ": field \"segment_length\" must be positive"));
  s->length = *length;
  auto rate = m.find("sampling_rate_hz");
  if (rate == m.end() || !rate->is_number() || !(rate->get<double>() > 0)) {
    return FieldError(mpath, "sampling_rate_hz", "a positive number");
  }
  s->rate = rate->get<double>();
  const nlohmann::json expected_leads = std::vector<std::string>(kStandardLeads.begin(), kStandardLeads.end());
  if (m.value("leads", nlohmann::json()) != expected_leads) {
    return absl::InvalidArgumentError(absl::StrCat(mpath, ": field \"leads\" is not the 12 standard leads in order"));
  }
  if (m.value("dtype", "") != "float32" || m.value("byte_order", "") != "little") {
    return absl::InvalidArgumentError(absl::StrCat(mpath, ": fields \"dtype\"/\"byte_order\" must be float32/little"));
  }
  s->segment_bytes = static_cast<uint64_t>(kNumStandardLeads) * static_cast<uint64_t>(s->length) * sizeof(float);
  auto shards = m.find("shards");
  if (shards == m.end() || !shards->is_array()) return FieldError(mpath, "shards", "an array");
  for (size_t k = 0; k < shards->size(); ++k) {
    const nlohmann::json& sj = (*shards)[k];
    const std::string field = absl::StrCat("shards[", k, "]");
    if (!sj.is_object()) return FieldError(mpath, field, "an object");
    State::Shard sh;
    if (!sj.contains("file") || !sj["file"].is_string()) return FieldError(mpath, field + ".file", "a string");
    sh.file = sj["file"].get<std::string>();
    if (sh.file.empty() || sh.file.find('/') != std::string::npos || sh.file[0] == '.') {
      return absl::InvalidArgumentError(absl::StrCat(mpath, ": field \"", field, ".file\" is not a plain file name: \"",
                                                     sh.file, "\""));
    }
    if (!sj.contains("xxh3_128") || !sj["xxh3_128"].is_string()) return FieldError(mpath, field + ".xxh3_128", "a string");
    sh.checksum = sj["xxh3_128"].get<std::string>();
    if (!sj.contains("segments") || !sj["segments"].is_number_integer() || sj["segments"].get<int64_t>() < 0) {
      return FieldError(mpath, field + ".segments", "a non-negative integer");
    }
    sh.count = sj["segments"].get<int64_t>();
    sh.first = s->n;
    absl::StatusOr<internal::MappedFile> map = internal::MappedFile::Open(s->Where(sh.file));
    if (!map.ok()) return map.status();
    sh.map = std::move(*map);
    const uint64_t want = static_cast<uint64_t>(sh.count) * s->segment_bytes;
    if (sh.map.size() != want) {
      return absl::DataLossError(absl::StrCat(s->Where(sh.file), ": size ", sh.map.size(), " bytes, manifest says ",
                                              sh.count, " segments = ", want, " bytes"));
    }
    s->n += sh.count;
    s->shards.push_back(std::move(sh));
  }
  absl::StatusOr<int64_t> num = GetInt(m, mpath, "num_segments");
  if (!num.ok()) return num.status();
  if (*num != s->n) {
    return absl::InvalidArgumentError(
        absl::StrCat(mpath, ": field \"num_segments\" is ", *num, " but the shards hold ", s->n, " segments"));
  }
  s->shard_of.reserve(static_cast<size_t>(s->n));
  for (size_t k = 0; k < s->shards.size(); ++k) s->shard_of.insert(s->shard_of.end(), static_cast<size_t>(s->shards[k].count), static_cast<uint32_t>(k));
  if (!m.contains("index") || !m["index"].is_object() || !m["index"].contains("xxh3_128") ||
      !m["index"]["xxh3_128"].is_string()) {
    return FieldError(mpath, "index.xxh3_128", "a string");
  }
  s->index_checksum = m["index"]["xxh3_128"].get<std::string>();
  const std::string ipath = s->Where(internal::kIndexFile);
  absl::StatusOr<internal::MappedFile> index = internal::MappedFile::Open(ipath);
  if (!index.ok()) return index.status();
  s->index = std::move(*index);
  const char* base = s->index.data();
  const size_t size = s->index.size();
  if (size > 0 && base[size - 1] != '\n') return absl::DataLossError(absl::StrCat(ipath, ": last line is not terminated"));
  s->line_start.reserve(static_cast<size_t>(s->n) + 1);
  s->line_start.push_back(0);
  for (size_t pos = 0; pos < size;) {
    const void* nl = std::memchr(base + pos, '\n', size - pos);
    pos = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
    s->line_start.push_back(pos);
  }
  const int64_t lines = static_cast<int64_t>(s->line_start.size()) - 1;
  if (lines != s->n) {
    return absl::DataLossError(absl::StrCat(ipath, ": ", lines, " lines, the shards hold ", s->n, " segments"));
  }
  return std::unique_ptr<SegmentStore>(new SegmentStore(std::move(s)));
}

int64_t SegmentStore::size() const { return s_->n; }
int64_t SegmentStore::segment_length() const { return s_->length; }
int SegmentStore::num_leads() const { return kNumStandardLeads; }
double SegmentStore::sampling_rate_hz() const { return s_->rate; }
int SegmentStore::num_shards() const { return static_cast<int>(s_->shards.size()); }
const std::string& SegmentStore::dir() const { return s_->dir; }
const nlohmann::json& SegmentStore::manifest() const { return s_->manifest; }

const float* SegmentStore::Segment(int64_t i) const {
  const State::Shard& sh = s_->shards[s_->shard_of[static_cast<size_t>(i)]];
  return reinterpret_cast<const float*>(sh.map.data() + static_cast<uint64_t>(i - sh.first) * s_->segment_bytes);
}

namespace {

absl::StatusOr<nlohmann::json> ParseLine(const char* base, uint64_t begin, uint64_t end, const std::string& where) {
  return ParseJson(std::string_view(base + begin, end - begin - 1), where);
}

}  // namespace

absl::StatusOr<SegmentMeta> SegmentStore::Meta(int64_t i) const {
  if (i < 0 || i >= s_->n) {
    return absl::OutOfRangeError(absl::StrCat(s_->dir, ": segment ", i, " out of range [0, ", s_->n, ")"));
  }
  const std::string where = absl::StrCat(s_->Where(internal::kIndexFile), ":", i + 1);
  const size_t k = static_cast<size_t>(i);
  absl::StatusOr<nlohmann::json> j = ParseLine(s_->index.data(), s_->line_start[k], s_->line_start[k + 1], where);
  if (!j.ok()) return j.status();
  return SegmentMetaFromJson(*j, where, s_->rate);
}

absl::StatusOr<std::vector<SegmentMeta>> SegmentStore::AllMeta() const {
  std::vector<SegmentMeta> out;
  out.reserve(static_cast<size_t>(s_->n));
  for (int64_t i = 0; i < s_->n; ++i) {
    absl::StatusOr<SegmentMeta> m = Meta(i);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

absl::Status SegmentStore::Verify() const {
  for (const State::Shard& sh : s_->shards) {
    const std::string got = internal::ChecksumHex(std::string_view(sh.map.data(), sh.map.size()));
    if (got != sh.checksum) {
      return absl::DataLossError(absl::StrCat(s_->Where(sh.file), ": XXH3-128 mismatch: manifest says ", sh.checksum,
                                              ", file has ", got));
    }
  }
  const std::string ipath = s_->Where(internal::kIndexFile);
  const std::string got = internal::ChecksumHex(std::string_view(s_->index.data(), s_->index.size()));
  if (got != s_->index_checksum) {
    return absl::DataLossError(
        absl::StrCat(ipath, ": XXH3-128 mismatch: manifest says ", s_->index_checksum, ", file has ", got));
  }
  for (int64_t i = 0; i < s_->n; ++i) {
    const std::string where = absl::StrCat(ipath, ":", i + 1);
    const size_t k = static_cast<size_t>(i);
    absl::StatusOr<nlohmann::json> j = ParseLine(s_->index.data(), s_->line_start[k], s_->line_start[k + 1], where);
    if (!j.ok()) return absl::DataLossError(j.status().message());
    absl::StatusOr<SegmentMeta> meta = SegmentMetaFromJson(*j, where, s_->rate);
    if (!meta.ok()) return absl::DataLossError(meta.status().message());
    const uint32_t shard = s_->shard_of[k];
    const uint64_t offset = static_cast<uint64_t>(i - s_->shards[shard].first) * s_->segment_bytes;
    const nlohmann::json& js = (*j)["shard"];
    const nlohmann::json& jo = (*j)["offset"];
    if (!js.is_number_unsigned() || js.get<uint64_t>() != shard || !jo.is_number_unsigned() || jo.get<uint64_t>() != offset) {
      return absl::DataLossError(absl::StrCat(where, ": shard/offset ", js.dump(), "/", jo.dump(), ", expected ", shard, "/",
                                              offset));
    }
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
