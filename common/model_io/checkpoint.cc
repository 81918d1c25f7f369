// Checkpoint: opens the shards named by an index once each and cross-checks the weight map.
#include "common/model_io/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/absl_view.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::model_io {
namespace {

namespace fs = std::filesystem;

// Shard names in an index are plain relative paths inside the checkpoint directory.
bool IsSafeRelativePath(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  for (const auto& part : fs::path(name)) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

absl::Status Checkpoint::AddShard(SafetensorsFile file) {
  const size_t shard = shards_.size();
  for (size_t i = 0; i < file.tensors().size(); ++i) {
    const std::string& name = file.tensors()[i].name;
    auto [it, inserted] = index_.try_emplace(name, shard, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(description_, ": tensor '", name, "' is stored in both ",
                                                     shards_[it->second.first].path(), " and ", file.path()));
    }
  }
  shards_.push_back(std::move(file));
  return absl::OkStatus();
}

absl::StatusOr<Checkpoint> Checkpoint::OpenDirectory(const std::string& dir, const HeaderLimits& limits) {
  const std::string index = (fs::path(dir) / kSafetensorsIndexName).string();
  if (FileExists(index)) return OpenIndex(index, limits);
  const std::string single = (fs::path(dir) / kSafetensorsSingleName).string();
  if (FileExists(single)) return OpenFiles({single}, limits);
  return absl::NotFoundError(absl::StrCat(dir, ": no ", kSafetensorsIndexName, " or ", kSafetensorsSingleName,
                                          " (only safetensors checkpoints are supported)"));
}

absl::StatusOr<Checkpoint> Checkpoint::OpenFiles(const std::vector<std::string>& paths, const HeaderLimits& limits) {
  Checkpoint checkpoint;
  checkpoint.description_ = absl::StrJoin(paths, ", ");
  for (const std::string& path : paths) {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path, limits);
    if (!file.ok()) return file.status();
    if (absl::Status st = checkpoint.AddShard(*std::move(file)); !st.ok()) return st;
  }
  return checkpoint;
}

absl::StatusOr<Checkpoint> Checkpoint::OpenIndex(const std::string& index_path, const HeaderLimits& limits) {
  absl::StatusOr<std::string> text = ReadFile(index_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<nlohmann::json> json = ParseJson(*text, index_path);
  if (!json.ok()) return json.status();
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError(absl::StrCat(index_path, ": ", what)); };
  if (!json->is_object()) return bad("must be a JSON object");
  const auto map_it = json->find("weight_map");
  if (map_it == json->end() || !map_it->is_object()) return bad("\"weight_map\" is missing or not an object");

  Checkpoint checkpoint;
  checkpoint.description_ = index_path;
  if (const auto meta = json->find("metadata"); meta != json->end() && meta->is_object()) {
    for (const auto& [key, value] : meta->items()) {
      if (value.is_primitive()) {
        checkpoint.index_metadata_.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
  }
  // Shards in name order, each opened once.
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) return bad(absl::StrCat("weight_map entry '", tensor, "' must be a file name"));
    const std::string& name = shard.get_ref<const std::string&>();
    if (!IsSafeRelativePath(name)) {
      return bad(absl::StrCat("weight_map entry '", tensor, "' names '", name, "', outside the checkpoint directory"));
    }
    by_shard[name].push_back(tensor);
  }
  if (by_shard.empty()) return bad("\"weight_map\" lists no tensors");
  const fs::path dir = fs::path(index_path).parent_path();
  for (const auto& [shard, tensors] : by_shard) {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open((dir / shard).string(), limits);
    if (!file.ok()) {
      return absl::Status(file.status().code(), absl::StrCat(index_path, ": shard '", shard, "' (holding '",
                                                             tensors.front(), "'): ", file.status().message()));
    }
    for (const std::string& tensor : tensors) {
      if (!file->Contains(tensor)) {
        return bad(absl::StrCat("tensor '", tensor, "' is mapped to ", shard, " but that file has no such tensor"));
      }
    }
    if (file->tensors().size() != tensors.size()) {
      for (const TensorInfo& info : file->tensors()) {
        const auto listed = map_it->find(info.name);
        if (listed == map_it->end() || *listed != shard) {
          return bad(absl::StrCat("tensor '", info.name, "' is stored in ", shard,
                                  listed == map_it->end() ? " but the weight_map does not list it"
                                                          : absl::StrCat(" but the weight_map maps it to ",
                                                                         listed->get<std::string>())));
        }
      }
    }
    if (absl::Status st = checkpoint.AddShard(*std::move(file)); !st.ok()) return st;
  }
  return checkpoint;
}

std::vector<std::string> Checkpoint::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(index_.size());
  for (const auto& [name, where] : index_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<TensorView> Checkpoint::Tensor(std::string_view name) const {
  const auto it = index_.find(Sv(name));
  if (it == index_.end()) return absl::NotFoundError(absl::StrCat(description_, ": no tensor '", Sv(name), "'"));
  const SafetensorsFile& shard = shards_[it->second.first];
  return shard.View(shard.tensors()[it->second.second]);
}

absl::StatusOr<std::string> Checkpoint::ShardOf(std::string_view name) const {
  const auto it = index_.find(Sv(name));
  if (it == index_.end()) return absl::NotFoundError(absl::StrCat(description_, ": no tensor '", Sv(name), "'"));
  return shards_[it->second.first].path();
}

absl::Status Checkpoint::ReadFloat32(std::string_view name, absl::Span<float> out) const {
  absl::StatusOr<TensorView> view = Tensor(name);
  if (!view.ok()) return view.status();
  absl::Status st = model_io::ReadFloat32(*view, out);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(description_, ": ", st.message()));
  return st;
}

absl::StatusOr<std::vector<float>> Checkpoint::ReadFloat32(std::string_view name) const {
  absl::StatusOr<TensorView> view = Tensor(name);
  if (!view.ok()) return view.status();
  std::vector<float> out(static_cast<size_t>(view->num_elements));
  ConvertToFloat32(view->dtype, view->data, out.size(), out.data());
  return out;
}

uint64_t Checkpoint::TotalTensorBytes() const {
  uint64_t total = 0;
  for (const SafetensorsFile& shard : shards_) {
    for (const TensorInfo& info : shard.tensors()) total += info.bytes();
  }
  return total;
}

}  // namespace ecgbench::common::model_io
