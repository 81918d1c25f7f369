// The dataset stage: merge the preprocess parts, split into folds, map conversations.
#include "worker/stages/dataset_runner.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/dataset/conversation.h"
#include "common/ecg/dataset/mapped.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/splits.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;

namespace {

struct Params {
  int k = 5;
  uint64_t seed = 42;
  std::string group_by = "patient";
  std::vector<std::string> mapped;
  std::string mapped_root;
  std::vector<std::string> parts;     // preprocess part stores, in shard order
  std::vector<std::string> part_keys;  // their content keys
};

absl::StatusOr<Params> ParseParams(const v1::Assignment& a) {
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json j, common::ParseJson(a.params_json(), "dataset params"));
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json in, common::ParseJson(a.inputs_json(), "dataset inputs"));
  Params p;
  try {
    const nlohmann::json& d = j.at("data");
    if (d.contains("folds") && d["folds"].is_object()) {
      p.k = d["folds"].value("k", 5);
      p.seed = d["folds"].value("seed", uint64_t{42});
      p.group_by = d["folds"].value("group_by", std::string("patient"));
    }
    if (d.contains("mapped") && d["mapped"].is_array()) p.mapped = d["mapped"].get<std::vector<std::string>>();
    if (d.contains("mapped") && d["mapped"].is_string()) p.mapped = {d["mapped"].get<std::string>()};
    if (d.contains("mapped_root") && d["mapped_root"].is_string()) p.mapped_root = d["mapped_root"].get<std::string>();
    if (!in.contains("preprocess") || !in["preprocess"].is_array() || in["preprocess"].empty()) {
      return absl::FailedPreconditionError("dataset stage: no preprocess results among its inputs");
    }
    for (const nlohmann::json& r : in["preprocess"]) {
      p.parts.push_back(r.at("store").get<std::string>());
      p.part_keys.push_back(r.at("key").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("dataset params: ", e.what()));
  }
  return p;
}

}  // namespace

absl::StatusOr<TaskResult> DatasetRunner::Run(TaskContext& ctx) {
  ECGBENCH_ASSIGN_OR_RETURN(Params p, ParseParams(ctx.assignment()));
  ecg::ContentHash key("dataset");
  key.SetParameters({{"k", p.k}, {"seed", p.seed}, {"group_by", p.group_by}, {"mapped", p.mapped},
                     {"mapped_root", p.mapped_root}, {"version", 1}});
  key.AddInput("preprocess", p.part_keys);
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(std::string artifact, ecg::ArtifactDir(options_.artifact_root, "dataset", hash));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  const std::string store_dir = artifact + "/store";
  const std::string conversations = artifact + "/conversations.jsonl";
  TaskResult result;
  if (ecg::IsArtifactComplete(artifact)) {
    ECGBENCH_ASSIGN_OR_RETURN(auto store, ecg::SegmentStore::Open(store_dir));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("reusing ", artifact, " (", store->size(), " segments)"));
    result.results = {{"segments", static_cast<double>(store->size())}, {"reused", 1}};
    result.result_json = nlohmann::json{{"store", store_dir}, {"artifact", artifact}, {"key", hash},
                                        {"splits", artifact + "/splits.json"},
                                        {"conversations", p.mapped.empty() ? "" : conversations}, {"reused", true}}
                             .dump();
    return result;
  }
  std::error_code ec;
  std::filesystem::remove_all(store_dir, ec);  // an earlier attempt that did not finish
  ctx.ReportProgress(0, 3, "steps", "merging the preprocess parts");
  ecg::MergeOptions merge;
  merge.content_hash = hash;
  ECGBENCH_RETURN_IF_ERROR(ecg::MergeStores(p.parts, store_dir, merge));
  ECGBENCH_ASSIGN_OR_RETURN(auto store, ecg::SegmentStore::Open(store_dir));
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<ecg::SegmentMeta> metas, store->AllMeta());
  if (ctx.cancelled() || ctx.preempt_requested()) return PreemptedStatus();

  ctx.ReportProgress(1, 3, "steps", "assigning folds");
  std::vector<ecg::SplitItem> items = ecg::SplitItemsFromMeta(metas, "dx");
  if (p.group_by == "record") {
    for (auto& item : items) item.patient_id.clear();
  }
  ecg::SplitOptions split;
  split.k = p.k;
  split.seed = p.seed;
  split.label_key = "dx";
  ECGBENCH_ASSIGN_OR_RETURN(ecg::FoldAssignment folds, ecg::AssignFolds(items, split));
  ECGBENCH_RETURN_IF_ERROR(ecg::WriteSplits(folds, artifact));
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat(metas.size(), " segments in ", folds.num_groups, " groups (",
                                           ecg::GroupingName(folds.grouping), ") over ", p.k, " folds"));

  ctx.ReportProgress(2, 3, "steps", "mapping conversations");
  int64_t samples = 0, unmatched = 0;
  if (!p.mapped.empty()) {
    ecg::SegmentLookup lookup;
    lookup.AddStore(store_dir, std::move(metas));
    ECGBENCH_ASSIGN_OR_RETURN(auto writer, ecg::ConversationWriter::Create(conversations));
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<std::string> files, ecg::ListJsonFiles(p.mapped_root));
    for (const std::string& name : p.mapped) {
      ECGBENCH_ASSIGN_OR_RETURN(ecg::MapReport report,
                                ecg::MapDataset(name, files, lookup, [&](const ecg::Conversation& c) { return writer->Write(c); }));
      samples += report.samples;
      unmatched += report.unmatched;
      ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat(name, ": ", report.ToJson().dump()));
    }
    ECGBENCH_RETURN_IF_ERROR(writer->Finish());
  }
  ECGBENCH_RETURN_IF_ERROR(ecg::MarkArtifactComplete(
      artifact, {{"segments", store->size()}, {"groups", folds.num_groups}, {"conversations", samples}}));
  ctx.ReportProgress(3, 3, "steps", "done");
  result.results = {{"segments", static_cast<double>(store->size())},
                    {"groups", static_cast<double>(folds.num_groups)},
                    {"folds", static_cast<double>(p.k)},
                    {"conversations", static_cast<double>(samples)},
                    {"unmatched", static_cast<double>(unmatched)},
                    {"reused", 0}};
  result.result_json = nlohmann::json{{"store", store_dir}, {"artifact", artifact}, {"key", hash},
                                      {"splits", artifact + "/splits.json"},
                                      {"conversations", p.mapped.empty() ? "" : conversations}, {"reused", false}}
                           .dump();
  return result;
}

}  // namespace ecgbench::worker
