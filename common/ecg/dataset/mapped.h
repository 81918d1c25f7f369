// External QA / instruction datasets mapped onto base segments, like upstream's map_ecg
// (reference §2.3): each instance names a base record (directly or through an image/file path);
// for each instance and each existing segment of that record, one Conversation (conversation.h)
// is produced. Unmatched instances (record not in the stores, or a path that names no known base
// dataset) and malformed instances (a field missing or of the wrong type) are counted and reported
// with examples, not fatal; bad JSON is an error naming the file (and line for JSONL).
// Supported (names as given to ParseMappedDataset):
//   ecg-qa_ptbxl, ecg-qa_mimic-iv-ecg    ECG-QA JSON arrays; keeps single-verify/-choose/-query
//   pretrain_mimic, ecg_instruct_45k     ECG-Chat: {"ecg": path, "conversations": [{from, value}]}
//   ecg_instruct_pulse                   PULSE ECGInstruct: {"image": path, "conversations"}
//   ecg_bench_pulse                      PULSE ECGBench rows: {"name": config, "image_path" |
//                                        "file_path" | "image", "conversations"}
//   ecg_grounding (+ _pulse, _test)      GEM: {"ecg": path (mimic-iv/, ecg_ptbxl_benchmarking/,
//                                        code15/), "conversations"}
// Base records are matched on (canonical source, canonical record key); see CanonicalRecordKey.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/conversation.h"
#include "common/ecg/dataset/segment_meta.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

enum class MappedKind { kEcgQaPtbxl, kEcgQaMimic, kEcgChat, kEcgInstructPulse, kEcgBenchPulse, kEcgGrounding };

// InvalidArgument listing the supported names otherwise.
absl::StatusOr<MappedKind> ParseMappedDataset(std::string_view name);

// A base record: canonical source ("ptbxl", "mimic", "code15", "cpsc", "csn") and record key.
struct BaseRecordRef {
  std::string source;
  std::string key;
  bool operator==(const BaseRecordRef& o) const { return source == o.source && key == o.key; }
};

// "ptb", "ptb-xl", "ptb_xl", "ptbxl" -> "ptbxl"; "mimic", "mimic-iv", "mimic_iv", "mimic-iv-ecg",
// "mimic_v4" -> "mimic"; "code15", "code-15", "code15_v4" -> "code15"; others lowercased.
std::string CanonicalSource(std::string_view source);
// The record key: last path component without extension (.hea .dat .mat .npy .png .jpg .json);
// for ptbxl its leading digits (the ecg_id: "00001_hr" -> "1"); an all-digit key loses its
// leading zeros. Store record ids and mapped paths meet on this key.
std::string CanonicalRecordKey(std::string_view canonical_source, std::string_view record_id_or_path);

// Path mappers (nullopt: not a known base dataset).
std::optional<BaseRecordRef> PulseImageToBase(std::string_view image_path);
std::optional<BaseRecordRef> GemEcgPathToBase(std::string_view ecg_path);
std::optional<BaseRecordRef> EcgBenchPulseToBase(std::string_view config_name, std::string_view image_path);

// Segments of the base records, from one or more segment stores' metadata.
class SegmentLookup {
 public:
  struct Ref {
    int store = 0;       // position in store_names()
    int64_t index = 0;   // segment position in that store
    int64_t segment_index = 0;
    const SegmentMeta* meta = nullptr;  // owned by the lookup
  };
  void AddStore(const std::string& store_name, std::vector<SegmentMeta> metas);
  // Segments of the record sorted by segment_index; nullptr when none.
  const std::vector<Ref>* Find(const BaseRecordRef& ref) const;
  const std::vector<std::string>& store_names() const { return names_; }
  size_t num_records() const { return by_record_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<SegmentMeta>> metas_;
  std::unordered_map<std::string, std::vector<Ref>> by_record_;
};

struct MapReport {
  std::string dataset;
  int64_t files = 0;
  int64_t instances = 0;   // read from the files
  int64_t filtered = 0;    // dropped on purpose (ECG-QA question types other than single-*)
  int64_t malformed = 0;   // a required field missing or of the wrong type
  int64_t unmatched = 0;   // no segment of the named base record
  int64_t matched = 0;     // instances that produced samples
  int64_t samples = 0;     // conversations written (instances x segments)
  std::vector<std::string> examples;  // the first 20 malformed/unmatched reasons
  nlohmann::json ToJson() const;
};

using ConversationSink = std::function<absl::Status(const Conversation& c)>;

// Maps the instances in `files` (JSON array, or JSONL when the name ends in .jsonl) of mapped
// dataset `dataset_name` onto `lookup`'s segments, calling `sink` per sample. Sample ids are
// "<dataset>-<n>-<segment_index>", n = instance position over all files in order.
absl::StatusOr<MapReport> MapDataset(std::string_view dataset_name, const std::vector<std::string>& files,
                                     const SegmentLookup& lookup, const ConversationSink& sink);

// Every *.json / *.jsonl file under `dir`, recursively, sorted (ECG-QA's output/<variant>/ tree).
absl::StatusOr<std::vector<std::string>> ListJsonFiles(const std::string& dir);

}  // namespace ecgbench::common::ecg
