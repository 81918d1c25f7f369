// RagIndex::Save / Load: the folder layout of a RAG database (see rag_index.h, docs/rag.md).
//   rag_metadata.json  format, version, sizes, options, per-space index files, entries
//                      [{record_id, report}] in database order
//   features.f32       the raw features, size() x 288 little-endian float32
//   <space>.index      faiss::write_index of each built space
#include <faiss/IndexIVF.h>
#include <faiss/index_io.h>

#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/rag/rag_index.h"
#include "common/rag/rag_index_state.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::rag {
namespace {

constexpr char kFormat[] = "ecgbench-rag";
constexpr int kVersion = 1;
constexpr char kMetadataFile[] = "rag_metadata.json";
constexpr char kFeaturesFile[] = "features.f32";

std::string IndexFile(RetrievalSpace space) { return absl::StrCat(RetrievalSpaceName(space), ".index"); }

// Field `key` of `j` with type checked by `ok`; InvalidArgument naming the file and the field.
absl::StatusOr<const nlohmann::json*> Field(const nlohmann::json& j, const char* key, const std::string& file,
                                            bool (nlohmann::json::*ok)() const noexcept, const char* type) {
  auto it = j.find(key);
  if (it == j.end()) return absl::InvalidArgumentError(absl::StrCat(file, ": field '", key, "' is missing"));
  if (!((*it).*ok)()) return absl::InvalidArgumentError(absl::StrCat(file, ": field '", key, "' must be ", type));
  return &*it;
}

}  // namespace

absl::Status RagIndex::Save(const std::string& dir) const {
  ECGBENCH_RETURN_IF_ERROR(MakeDirs(dir));
  const RagIndexOptions& o = s_->options;
  nlohmann::json meta;
  meta["format"] = kFormat;
  meta["version"] = kVersion;
  meta["num_vectors"] = size();
  meta["num_leads"] = kFeatureLeads;
  meta["segment_length"] = o.segment_length;
  meta["sampling_rate_hz"] = o.features.sampling_rate_hz;
  meta["max_nperseg"] = o.features.max_nperseg;
  meta["feature_dim"] = kNumEcgFeatures;
  meta["signal_dim"] = kFeatureLeads * o.segment_length;
  meta["zscore"] = o.zscore;
  meta["nprobe"] = o.nprobe;
  meta["max_nlist"] = o.max_nlist;
  meta["vectors_per_list"] = o.vectors_per_list;
  meta["exact_max_vectors"] = o.exact_max_vectors;
  nlohmann::json spaces = nlohmann::json::object();
  for (RetrievalSpace space : o.spaces) {
    const faiss::Index* index = s_->indexes[SpaceSlot(space)].get();
    const std::string file = IndexFile(space);
    const std::string path = absl::StrCat(dir, "/", file);
    const std::string tmp = absl::StrCat(path, ".tmp");
    try {
      faiss::write_index(index, tmp.c_str());
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("faiss: writing ", tmp, ": ", e.what()));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("rename ", tmp, " -> ", path, ": ", std::strerror(errno)));
    }
    spaces[std::string(RetrievalSpaceName(space))] = {
        {"file", file}, {"dim", dimension(space)}, {"kind", is_exact(space) ? "flat" : "ivf_flat"},
        {"nlist", nlist(space)}};
  }
  meta["spaces"] = spaces;
  nlohmann::json entries = nlohmann::json::array();
  for (int64_t i = 0; i < size(); ++i) {
    entries.push_back({{"record_id", s_->ids[static_cast<size_t>(i)]}, {"report", s_->reports[static_cast<size_t>(i)]}});
  }
  meta["entries"] = std::move(entries);
  std::string bytes(s_->features.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), s_->features.data(), bytes.size());
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kFeaturesFile), bytes));
  // The metadata goes last: a folder with a metadata file is complete.
  return WriteFileAtomic(absl::StrCat(dir, "/", kMetadataFile), meta.dump(1) + "\n");
}

absl::StatusOr<std::unique_ptr<RagIndex>> RagIndex::Load(const std::string& dir) {
  const std::string meta_path = absl::StrCat(dir, "/", kMetadataFile);
  if (!FileExists(meta_path)) return absl::NotFoundError(absl::StrCat(meta_path, ": no RAG database here"));
  ECGBENCH_ASSIGN_OR_RETURN(std::string text, ReadFile(meta_path));
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json meta, ParseJson(text, meta_path));
  if (!meta.is_object()) return absl::InvalidArgumentError(absl::StrCat(meta_path, ": not a JSON object"));
  using J = nlohmann::json;
  ECGBENCH_ASSIGN_OR_RETURN(const J* format, Field(meta, "format", meta_path, &J::is_string, "a string"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* version, Field(meta, "version", meta_path, &J::is_number_integer, "an integer"));
  if (format->get<std::string>() != kFormat || version->get<int>() != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat(meta_path, ": format/version must be ", kFormat, "/", kVersion));
  }
  auto state = std::make_unique<State>();
  RagIndexOptions& o = state->options;
  ECGBENCH_ASSIGN_OR_RETURN(const J* n_field, Field(meta, "num_vectors", meta_path, &J::is_number_integer, "an integer"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* l_field, Field(meta, "segment_length", meta_path, &J::is_number_integer, "an integer"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* fs, Field(meta, "sampling_rate_hz", meta_path, &J::is_number, "a number"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* nperseg, Field(meta, "max_nperseg", meta_path, &J::is_number_integer, "an integer"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* zscore, Field(meta, "zscore", meta_path, &J::is_boolean, "a boolean"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* nprobe, Field(meta, "nprobe", meta_path, &J::is_number_integer, "an integer"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* spaces, Field(meta, "spaces", meta_path, &J::is_object, "an object"));
  ECGBENCH_ASSIGN_OR_RETURN(const J* entries, Field(meta, "entries", meta_path, &J::is_array, "an array"));
  const auto n = n_field->get<int64_t>();
  o.segment_length = l_field->get<int64_t>();
  o.features.sampling_rate_hz = fs->get<double>();
  o.features.max_nperseg = nperseg->get<int>();
  o.zscore = zscore->get<bool>();
  o.nprobe = nprobe->get<int>();
  for (const char* key : {"max_nlist", "vectors_per_list"}) {
    ECGBENCH_ASSIGN_OR_RETURN(const J* v, Field(meta, key, meta_path, &J::is_number_integer, "an integer"));
    (std::strcmp(key, "max_nlist") == 0 ? o.max_nlist : o.vectors_per_list) = v->get<int>();
  }
  ECGBENCH_ASSIGN_OR_RETURN(const J* exact, Field(meta, "exact_max_vectors", meta_path, &J::is_number_integer, "an integer"));
  o.exact_max_vectors = exact->get<int64_t>();
  if (n < 1 || static_cast<int64_t>(entries->size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(meta_path, ": field 'entries' has ", entries->size(), " items, 'num_vectors' says ", n));
  }
  for (size_t i = 0; i < entries->size(); ++i) {
    const J& e = (*entries)[i];
    const std::string where = absl::StrCat(meta_path, " entries[", i, "]");
    if (!e.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
    ECGBENCH_ASSIGN_OR_RETURN(const J* id, Field(e, "record_id", where, &J::is_string, "a string"));
    ECGBENCH_ASSIGN_OR_RETURN(const J* report, Field(e, "report", where, &J::is_string, "a string"));
    state->ids.push_back(id->get<std::string>());
    state->reports.push_back(report->get<std::string>());
    ++state->id_counts[state->ids.back()];
  }
  o.spaces.clear();
  for (auto it = spaces->begin(); it != spaces->end(); ++it) {
    absl::StatusOr<RetrievalSpace> space = ParseRetrievalSpace(it.key());
    if (!space.ok()) return absl::InvalidArgumentError(absl::StrCat(meta_path, ": field 'spaces': ", space.status().message()));
    o.spaces.push_back(*space);
  }
  if (absl::Status st = CheckOptions(o); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(meta_path, ": ", st.message()));
  }
  const std::string features_path = absl::StrCat(dir, "/", kFeaturesFile);
  ECGBENCH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(features_path));
  if (bytes.size() != static_cast<size_t>(n) * kNumEcgFeatures * sizeof(float)) {
    return absl::DataLossError(absl::StrCat(features_path, ": ", bytes.size(), " bytes, expected ",
                                            static_cast<size_t>(n) * kNumEcgFeatures * sizeof(float)));
  }
  state->features.resize(static_cast<size_t>(n) * kNumEcgFeatures);
  std::memcpy(state->features.data(), bytes.data(), bytes.size());
  for (RetrievalSpace space : o.spaces) {
    const std::string path = absl::StrCat(dir, "/", IndexFile(space));
    if (!FileExists(path)) return absl::NotFoundError(absl::StrCat(path, ": index file missing"));
    std::unique_ptr<faiss::Index> index;
    try {
      index.reset(faiss::read_index(path.c_str()));
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat(path, ": faiss cannot read it: ", e.what()));
    }
    const int64_t d = SpaceDimension(space, o.segment_length);
    if (index->ntotal != n || index->d != d) {
      return absl::DataLossError(absl::StrCat(path, ": holds ", index->ntotal, " vectors of ", index->d,
                                              " dims, the metadata says ", n, " of ", d));
    }
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get())) {
      ivf->nprobe = static_cast<size_t>(o.nprobe);
      state->nlists[SpaceSlot(space)] = static_cast<int>(ivf->nlist);
    }
    state->indexes[SpaceSlot(space)] = std::move(index);
  }
  return std::unique_ptr<RagIndex>(new RagIndex(std::move(state)));
}

}  // namespace ecgbench::common::rag
