// MergeStores (part stores -> one store) and ExportNpyJsonl (store -> ecgs.npy + segments.jsonl).
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/store_files.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {

namespace {

// Sums numbers key by key; other values must agree (the first part's value is kept).
void SumCounts(nlohmann::json& into, const nlohmann::json& add) {
  for (auto it = add.begin(); it != add.end(); ++it) {
    auto dst = into.find(it.key());
    if (dst == into.end()) {
      into[it.key()] = it.value();
    } else if (dst->is_object() && it.value().is_object()) {
      SumCounts(*dst, it.value());
    } else if (dst->is_number_integer() && it.value().is_number_integer()) {
      *dst = dst->get<int64_t>() + it.value().get<int64_t>();
    } else if (dst->is_number() && it.value().is_number()) {
      *dst = dst->get<double>() + it.value().get<double>();
    }
  }
}

// Iterates the lines of a mapped index; `fn(line_without_newline, line_number)`.
template <typename Fn>
absl::Status ForEachLine(const internal::MappedFile& f, Fn fn) {
  const char* base = f.data();
  size_t pos = 0;
  int64_t line = 0;
  while (pos < f.size()) {
    const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', f.size() - pos));
    const size_t end = nl == nullptr ? f.size() : static_cast<size_t>(nl - base);
    if (absl::Status st = fn(std::string_view(base + pos, end - pos), ++line); !st.ok()) return st;
    pos = end + 1;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MergeStores(const std::vector<std::string>& parts, const std::string& out, const MergeOptions& options) {
  if (parts.empty()) return absl::InvalidArgumentError(absl::StrCat(out, ": no part stores to merge"));
  std::vector<std::unique_ptr<SegmentStore>> stores;
  for (const std::string& p : parts) {
    absl::StatusOr<std::unique_ptr<SegmentStore>> s = SegmentStore::Open(p);
    if (!s.ok()) return s.status();
    stores.push_back(std::move(*s));
  }
  const nlohmann::json& first = stores[0]->manifest();
  for (size_t k = 1; k < stores.size(); ++k) {
    const nlohmann::json& m = stores[k]->manifest();
    for (const char* field : {"segment_length", "sampling_rate_hz", "leads", "parameters"}) {
      if (m.value(field, nlohmann::json()) != first.value(field, nlohmann::json())) {
        return absl::InvalidArgumentError(absl::StrCat(parts[k], ": field \"", field, "\" differs from ", parts[0], " (",
                                                       m.value(field, nlohmann::json()).dump(), " vs ",
                                                       first.value(field, nlohmann::json()).dump(), ")"));
      }
    }
  }
  absl::StatusOr<std::string> tmp = internal::MakeTempStoreDir(out);
  if (!tmp.ok()) return tmp.status();
  std::vector<std::pair<std::string, std::string>> moved;  // (from, to) for rollback in move mode
  auto fail = [&](absl::Status st) {
    for (const auto& [from, to] : moved) ::rename(to.c_str(), from.c_str());
    std::error_code ec;
    std::filesystem::remove_all(*tmp, ec);
    return st;
  };
  internal::ManifestInputs in;
  in.shards = nlohmann::json::array();
  in.counts = nlohmann::json::object();
  internal::OutFile index;
  if (absl::Status st = index.Open(*tmp + "/" + internal::kIndexFile); !st.ok()) return fail(st);
  nlohmann::json part_hashes = nlohmann::json::array();
  int64_t shard_base = 0;
  std::string line;
  for (size_t k = 0; k < stores.size(); ++k) {
    const SegmentStore& part = *stores[k];
    const nlohmann::json& m = part.manifest();
    shard_base = static_cast<int64_t>(in.shards.size());
    for (const nlohmann::json& sh : m["shards"]) {
      const int64_t no = static_cast<int64_t>(in.shards.size());
      const std::string from = part.dir() + "/" + sh["file"].get<std::string>();
      const std::string to = *tmp + "/" + internal::ShardFileName(no);
      if (options.move_shards) {
        if (absl::Status st = internal::RenamePath(from, to); !st.ok()) return fail(st);
        moved.emplace_back(from, to);
      } else if (absl::Status st = internal::LinkOrCopy(from, to); !st.ok()) {
        return fail(st);
      }
      nlohmann::json entry = sh;
      entry["file"] = internal::ShardFileName(no);
      in.shards.push_back(std::move(entry));
    }
    absl::StatusOr<internal::MappedFile> idx = internal::MappedFile::Open(part.dir() + "/" + internal::kIndexFile);
    if (!idx.ok()) return fail(idx.status());
    absl::Status st = ForEachLine(*idx, [&](std::string_view text, int64_t n) -> absl::Status {
      const std::string where = absl::StrCat(part.dir(), "/", internal::kIndexFile, ":", n);
      absl::StatusOr<nlohmann::json> j = ParseJson(text, where);
      if (!j.ok()) return j.status();
      if (!j->contains("shard") || !(*j)["shard"].is_number_unsigned()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": field \"shard\" missing or not an integer"));
      }
      (*j)["shard"] = (*j)["shard"].get<int64_t>() + shard_base;
      line = j->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      line.push_back('\n');
      return index.Write(line);
    });
    if (!st.ok()) return fail(st);
    SumCounts(in.counts, m.value("counts", nlohmann::json::object()));
    part_hashes.push_back(m.value("content_hash", ""));
  }
  in.index_bytes = index.bytes();
  if (absl::Status st = index.Close(&in.index_checksum); !st.ok()) return fail(st);
  in.segment_length = first["segment_length"].get<int64_t>();
  in.sampling_rate_hz = first["sampling_rate_hz"].get<double>();
  in.shard_bytes = first.value("shard_bytes", kDefaultShardBytes);
  in.parameters = first.value("parameters", nlohmann::json::object());
  in.content_hash = options.content_hash.empty() ? Sha256Hex(CanonicalJson(nlohmann::json{{"merge", part_hashes}}))
                                                 : options.content_hash;
  int64_t total = 0;
  for (const auto& s : stores) total += s->size();
  in.counts["segments"] = total;
  in.counts["shards"] = in.shards.size();
  if (absl::Status st = internal::PublishStoreDir(*tmp, out, internal::MakeManifest(in)); !st.ok()) return fail(st);
  if (options.move_shards) {
    stores.clear();
    for (const std::string& p : parts) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
  return absl::OkStatus();
}

std::string NpyHeaderV1(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&dims, i ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string dict = absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (", dims, "), }");
  const size_t unpadded = 10 + dict.size() + 1;  // magic(6) + version(2) + len(2) + dict + '\n'
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>((dict.size() >> 8) & 0xff));
  return out + dict;
}

absl::Status ExportNpyJsonl(const SegmentStore& store, const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(out_dir, ": cannot create directory: ", ec.message()));
  const std::string suffix = absl::StrCat(".tmp-", ::getpid());
  const std::string npy = out_dir + "/ecgs.npy";
  const std::string jsonl = out_dir + "/segments.jsonl";
  auto cleanup = [&](absl::Status st) {
    std::filesystem::remove(npy + suffix, ec);
    std::filesystem::remove(jsonl + suffix, ec);
    return st;
  };
  internal::OutFile f;
  if (absl::Status st = f.Open(npy + suffix); !st.ok()) return cleanup(st);
  if (absl::Status st = f.Write(NpyHeaderV1("<f4", {store.size(), kNumStandardLeads, store.segment_length()})); !st.ok()) {
    return cleanup(st);
  }
  const size_t segment_bytes = static_cast<size_t>(kNumStandardLeads * store.segment_length()) * sizeof(float);
  for (int64_t i = 0; i < store.size(); ++i) {
    if (absl::Status st = f.Write(store.Segment(i), segment_bytes); !st.ok()) return cleanup(st);
  }
  if (absl::Status st = f.Close(nullptr); !st.ok()) return cleanup(st);
  internal::OutFile g;
  if (absl::Status st = g.Open(jsonl + suffix); !st.ok()) return cleanup(st);
  std::string line;
  for (int64_t i = 0; i < store.size(); ++i) {
    absl::StatusOr<SegmentMeta> meta = store.Meta(i);
    if (!meta.ok()) return cleanup(meta.status());
    nlohmann::json j = SegmentMetaToJson(*meta);
    j["index"] = i;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    if (absl::Status st = g.Write(line); !st.ok()) return cleanup(st);
  }
  if (absl::Status st = g.Close(nullptr); !st.ok()) return cleanup(st);
  if (absl::Status st = internal::RenamePath(npy + suffix, npy); !st.ok()) return cleanup(st);
  if (absl::Status st = internal::RenamePath(jsonl + suffix, jsonl); !st.ok()) return cleanup(st);
  return internal::FsyncDir(out_dir);
}

}  // namespace ecgbench::common::ecg
