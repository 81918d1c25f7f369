// A Hugging Face checkpoint's weights as one logical set of tensors: a single model.safetensors, or
// shards listed by model.safetensors.index.json ({"metadata": {...}, "weight_map": {name: file}}).
// Each shard is mapped once (see safetensors_file.h for the memory contract); lookups go straight
// to the shard holding the tensor.
//
// Errors (InvalidArgument unless noted) name the index or shard file and the tensor: a weight_map
// entry whose shard lacks the tensor, a tensor stored in two shards, a shard tensor the index does
// not list, a shard path leaving the checkpoint directory; NotFound when no weights file exists.
// Thread-safety: immutable after opening; const methods may be called concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/model_io/safetensors_file.h"

namespace ecgbench::common::model_io {

inline constexpr char kSafetensorsIndexName[] = "model.safetensors.index.json";
inline constexpr char kSafetensorsSingleName[] = "model.safetensors";

class Checkpoint {
 public:
  // `dir` holds model.safetensors.index.json (preferred) or model.safetensors.
  static absl::StatusOr<Checkpoint> OpenDirectory(const std::string& dir, const HeaderLimits& limits = {});
  // An index file; shard names are resolved relative to its directory.
  static absl::StatusOr<Checkpoint> OpenIndex(const std::string& index_path, const HeaderLimits& limits = {});
  // Explicit safetensors files (e.g. one adapter_model.safetensors); a tensor in two files is an error.
  static absl::StatusOr<Checkpoint> OpenFiles(const std::vector<std::string>& paths, const HeaderLimits& limits = {});

  Checkpoint(Checkpoint&&) = default;
  Checkpoint& operator=(Checkpoint&&) = default;

  // Sorted tensor names across all shards.
  std::vector<std::string> TensorNames() const;
  size_t size() const { return index_.size(); }
  bool Contains(std::string_view name) const { return index_.contains(absl::string_view(name.data(), name.size())); }
  // NotFound naming the checkpoint when absent.
  absl::StatusOr<TensorView> Tensor(std::string_view name) const;
  // Path of the shard holding `name` (NotFound when absent).
  absl::StatusOr<std::string> ShardOf(std::string_view name) const;
  absl::Status ReadFloat32(std::string_view name, absl::Span<float> out) const;
  absl::StatusOr<std::vector<float>> ReadFloat32(std::string_view name) const;

  const std::vector<SafetensorsFile>& shards() const { return shards_; }
  // Sum of all tensors' bytes (what "metadata.total_size" of an index states).
  uint64_t TotalTensorBytes() const;
  // The index's "metadata" entries with scalar values, as text (empty for a single file).
  const std::vector<std::pair<std::string, std::string>>& index_metadata() const { return index_metadata_; }

 private:
  Checkpoint() = default;
  absl::Status AddShard(SafetensorsFile file);

  std::string description_;  // the directory or index path, for messages
  std::vector<SafetensorsFile> shards_;
  absl::flat_hash_map<std::string, std::pair<size_t, size_t>> index_;  // name -> (shard, tensor)
  std::vector<std::pair<std::string, std::string>> index_metadata_;
};

}  // namespace ecgbench::common::model_io
