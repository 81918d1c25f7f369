// Internal to ecgbench_rag: the state behind RagIndex and the helpers shared by rag_index.cc
// (build, search) and rag_index_io.cc (save, load). Not part of the public interface.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/rag/rag_index.h"

namespace faiss {
struct Index;
}  // namespace faiss

namespace ecgbench::common::rag {

struct RagIndex::State {
  RagIndexOptions options;
  std::vector<std::string> ids;
  std::vector<std::string> reports;
  std::vector<float> features;  // size() * 288, raw
  std::array<std::unique_ptr<faiss::Index>, 3> indexes;  // by RetrievalSpace; null when not built
  std::array<int, 3> nlists{};
  absl::flat_hash_map<std::string, int64_t> id_counts;  // entries per record id

  ~State();
};

inline size_t SpaceSlot(RetrievalSpace space) { return static_cast<size_t>(space); }

// 288, 12 L, 288 + 12 L.
int64_t SpaceDimension(RetrievalSpace space, int64_t segment_length);

// The indexed vector of one ECG: `features` (288 raw values, double) and `signal` (12 * L floats)
// assembled for `space` into out[0 .. SpaceDimension). `scratch` holds 288 doubles.
void AssembleVector(RetrievalSpace space, const double* features, const float* signal, int64_t segment_length,
                    bool zscore, float* out, double* scratch);

// Options sanity (spaces non-empty and distinct, positive sizes); InvalidArgument naming the field.
absl::Status CheckOptions(const RagIndexOptions& options);

}  // namespace ecgbench::common::rag
