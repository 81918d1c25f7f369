// JSON views of a parsed spec with every default filled in: the stage parameters handed to the
// runners (StagePlan.params) are built from these. Keys match the YAML keys of docs/spec.md; a
// string the spec left out (a path, a tokenizer) is null; `lora: false` is {"enabled": false, ...}.
#pragma once

#include "absl/status/statusor.h"
#include "common/spec/spec.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common {

nlohmann::json ToJson(const DataSpec& data);
nlohmann::json ToJson(const RepresentationSpec& representation);
nlohmann::json ToJson(const ModelSpec& model);
nlohmann::json ToJson(const TrainSpec& train);
nlohmann::json ToJson(const EvaluateSpec& evaluate);
nlohmann::json ToJson(const RagSpec& rag);
nlohmann::json ToJson(const ResourcesSpec& resources);
nlohmann::json ToJson(const ProbeSpec& probe);
// The whole spec; absent optional sections are null.
nlohmann::json ToJson(const ExperimentSpec& spec);

// Inverses for the sections runners read back from their params (absent keys keep the spec
// defaults). InvalidArgument naming the field, e.g. "train.optimizer.lr: expected a number, got \"x\"".
absl::StatusOr<ModelSpec> ModelSpecFromJson(const nlohmann::json& model);
absl::StatusOr<TrainSpec> TrainSpecFromJson(const nlohmann::json& train);
absl::StatusOr<EvaluateSpec> EvaluateSpecFromJson(const nlohmann::json& evaluate);

}  // namespace ecgbench::common
