// The preprocess stage: catalog -> shard range -> pipeline -> content-addressed part store.
#include "worker/stages/preprocess_runner.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/formats/catalogs.h"
#include "common/ecg/pipeline/preprocess.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;

namespace {

struct Params {
  std::string base, root, filters = "none", nan = "skip";
  double target_rate = 250;
  int64_t segment_len = 1250;
};

absl::StatusOr<Params> ParseParams(const std::string& text) {
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json j, common::ParseJson(text, "preprocess params"));
  if (!j.contains("data") || !j["data"].is_object()) {
    return absl::InvalidArgumentError("preprocess params: missing the data section");
  }
  const nlohmann::json& d = j["data"];
  Params p;
  try {
    p.base = d.at("base").get<std::string>();
    p.root = d.at("root").get<std::string>();
    if (d.contains("target_rate") && !d["target_rate"].is_null()) p.target_rate = d["target_rate"].get<double>();
    if (d.contains("segment_len") && !d["segment_len"].is_null()) p.segment_len = d["segment_len"].get<int64_t>();
    if (d.contains("filters") && !d["filters"].is_null()) p.filters = d["filters"].get<std::string>();
    if (d.contains("nan") && !d["nan"].is_null()) p.nan = d["nan"].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess params: data section: ", e.what()));
  }
  return p;
}

// The identity of the input: dataset, root and every record's id and signal paths, in order.
std::string CatalogDigest(const ecg::Catalog& catalog) {
  ecg::Sha256 h;
  for (const ecg::RecordRef& ref : catalog.refs) {
    h.Update(ref.id);
    h.Update(std::string_view("\n", 1));
    for (const std::string& p : ref.paths) {
      h.Update(p);
      h.Update(std::string_view("\n", 1));
    }
    h.Update(std::to_string(ref.row));
  }
  return h.HexDigest();
}

}  // namespace

absl::StatusOr<TaskResult> PreprocessRunner::Run(TaskContext& ctx) {
  const v1::Assignment& a = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(Params p, ParseParams(a.params_json()));
  ECGBENCH_ASSIGN_OR_RETURN(ecg::NanPolicy nan, ecg::ParseNanPolicy(p.nan));
  if (p.filters != "none" && p.filters != "paper") {
    return absl::InvalidArgumentError(absl::StrCat("preprocess params: data.filters must be none or paper, got \"",
                                                   p.filters, "\""));
  }
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("loading the ", p.base, " catalog from ", p.root));
  ECGBENCH_ASSIGN_OR_RETURN(ecg::Catalog catalog, ecg::LoadCatalog(p.base, p.root, ecg::CatalogOptions()));
  if (catalog.report.skipped > 0) {
    ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat(catalog.report.skipped, " catalog rows skipped; first: ",
                                                catalog.report.problems.empty() ? "" : catalog.report.problems.front()));
  }

  nlohmann::json parameters = {{"dataset", p.base},        {"target_rate_hz", p.target_rate},
                               {"segment_len", p.segment_len}, {"filters", p.filters},
                               {"nan", p.nan},              {"resample", "cubic"},
                               {"num_shards", a.num_shards()}, {"pipeline_version", 2}};
  ecg::ContentHash key("preprocess");
  key.SetParameters(parameters);
  key.AddInput("catalog", {{"root", p.root}, {"records", catalog.refs.size()}, {"digest", CatalogDigest(catalog)}});
  const std::string hash = key.Hex();
  ECGBENCH_ASSIGN_OR_RETURN(std::string artifact, ecg::ArtifactDir(options_.artifact_root, "preprocess", hash));
  char name[32];
  std::snprintf(name, sizeof(name), "shard-%05d", a.shard());
  const std::string part = (std::filesystem::path(artifact) / "parts" / name).string();
  auto [begin, end] = ecg::ShardRange(catalog.refs.size(), a.shard(), a.num_shards());
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(part), [&ctx] { return ctx.cancelled(); }));

  TaskResult result;
  if (ecg::IsArtifactComplete(part)) {
    ECGBENCH_ASSIGN_OR_RETURN(auto store, ecg::SegmentStore::Open(part));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("reusing ", part, " (", store->size(), " segments, key ", hash, ")"));
    ctx.ReportProgress(static_cast<int64_t>(end - begin), static_cast<int64_t>(end - begin), "records", "reused");
    result.results = {{"segments", static_cast<double>(store->size())}, {"reused", 1}};
    result.result_json = nlohmann::json{{"store", part}, {"artifact", artifact}, {"key", hash}, {"reused", true}}.dump();
    return result;
  }
  // Leftovers of an attempt that died while writing this part.
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(part).parent_path(), ec);
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(part).parent_path(), ec)) {
    if (entry.path().filename().string().rfind(std::string(name) + ".tmp", 0) == 0) std::filesystem::remove_all(entry.path(), ec);
  }
  std::filesystem::remove_all(part, ec);  // incomplete (no marker)

  ecg::PreprocessOptions options;
  options.dataset = p.base;
  options.target_rate_hz = p.target_rate;
  options.segment_len = p.segment_len;
  options.paper_filters = p.filters == "paper";
  options.nan = nan;
  options.threads = std::max(1, a.cpu_cores());
  options.parameters = parameters;
  options.content_hash = hash;
  ecg::PreprocessHooks hooks;
  const int64_t total = static_cast<int64_t>(end - begin);
  hooks.progress = [&](const ecg::PreprocessCounts& c) {
    ctx.ReportProgress(c.records_done + c.records_skipped, total, "records",
                       absl::StrCat(c.segments, " segments, ", c.records_skipped, " skipped"));
  };
  hooks.cancelled = [&] { return ctx.cancelled() || ctx.preempt_requested(); };
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("shard ", a.shard() + 1, "/", a.num_shards(), ": records [", begin, ", ",
                                           end, ") of ", catalog.refs.size(), " -> ", part));
  auto counts = ecg::PreprocessRecords(catalog.refs, begin, end, options, part, hooks);
  if (!counts.ok()) {
    if (counts.status().code() == absl::StatusCode::kCancelled && ctx.preempt_requested()) return PreemptedStatus();
    return counts.status();
  }
  for (const std::string& e : counts->errors) ctx.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("skipped: ", e));
  ECGBENCH_RETURN_IF_ERROR(ecg::MarkArtifactComplete(part, counts->ToJson()));
  ctx.ReportMetric("records_skipped", static_cast<double>(counts->records_skipped), 0);
  result.results = {{"segments", static_cast<double>(counts->segments)},
                    {"records_done", static_cast<double>(counts->records_done)},
                    {"records_skipped", static_cast<double>(counts->records_skipped)},
                    {"reused", 0}};
  result.result_json =
      nlohmann::json{{"store", part}, {"artifact", artifact}, {"key", hash}, {"reused", false}, {"counts", counts->ToJson()}}
          .dump();
  return result;
}

}  // namespace ecgbench::worker
