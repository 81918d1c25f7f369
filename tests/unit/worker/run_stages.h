// RunPreprocessAndDataset: the `preprocess` (one shard) and `dataset` stages in-process on a data
// section, as the stages after them need their inputs (tests only).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/recording_context.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/preprocess_runner.h"

namespace ecgbench::worker::test_support {

// The dataset stage's result document; artifacts go under `artifact_root`.
inline absl::StatusOr<nlohmann::json> RunPreprocessAndDataset(const nlohmann::json& data,
                                                              const std::string& artifact_root) {
  v1::Assignment pre;
  pre.set_stage_kind("preprocess");
  pre.set_num_shards(1);
  pre.set_cpu_cores(1);
  pre.set_params_json(nlohmann::json{{"data", data}}.dump());
  RecordingContext pctx(pre);
  absl::StatusOr<TaskResult> p = PreprocessRunner({artifact_root}).Run(pctx);
  if (!p.ok()) return p.status();
  v1::Assignment ds;
  ds.set_stage_kind("dataset");
  ds.set_params_json(nlohmann::json{{"data", data}}.dump());
  ds.set_inputs_json(nlohmann::json{{"preprocess", {nlohmann::json::parse(p->result_json)}}}.dump());
  RecordingContext dctx(ds);
  absl::StatusOr<TaskResult> d = DatasetRunner({artifact_root}).Run(dctx);
  if (!d.ok()) return d.status();
  return nlohmann::json::parse(d->result_json);
}

}  // namespace ecgbench::worker::test_support
