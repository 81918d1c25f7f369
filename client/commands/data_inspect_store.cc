// `ecgbench data inspect` of a segment store directory and of a whole CODE-15 HDF5 file.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/commands/data_inspect.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client::data {

namespace {

namespace ecg = common::ecg;

constexpr size_t kShownExamIds = 5;

}  // namespace

int InspectSegmentStore(CommandContext& ctx, const InputSpec& in, bool verify, bool json) {
  if (!common::FileExists(in.path + "/manifest.json")) {
    return Fail(
        ctx,
        absl::InvalidArgumentError(absl::StrCat(in.arg, ": a directory but not a segment store (no manifest.json)")),
        kExitInvalidArgument);
  }
  auto store = ecg::SegmentStore::Open(in.path);
  if (!store.ok()) return Fail(ctx, store.status(), kExitInvalidArgument);
  const ecg::SegmentStore& s = **store;
  const nlohmann::json& m = s.manifest();
  absl::Status verified = absl::OkStatus();
  if (verify) verified = s.Verify();
  const nlohmann::json counts = m.value("counts", nlohmann::json::object());
  const nlohmann::json parameters = m.value("parameters", nlohmann::json::object());
  const std::string hash = m.value("content_hash", std::string());
  std::vector<std::string> shard_files;
  for (const auto& sh : m.value("shards", nlohmann::json::array())) shard_files.push_back(sh.value("file", ""));
  const std::vector<std::string> leads = m.value("leads", std::vector<std::string>());
  const double seconds = s.sampling_rate_hz() > 0 ? static_cast<double>(s.segment_length()) / s.sampling_rate_hz() : 0;

  if (json) {
    nlohmann::json j = {{"type", "segment-store"},
                        {"path", in.path},
                        {"segments", s.size()},
                        {"segment_length", s.segment_length()},
                        {"sampling_rate_hz", s.sampling_rate_hz()},
                        {"leads", leads},
                        {"shards", shard_files},
                        {"content_hash", hash},
                        {"counts", counts},
                        {"parameters", parameters}};
    if (verify) j["verified"] = verified.ok() ? "ok" : std::string(verified.message());
    ctx.out() << j.dump(2) << "\n" << std::flush;
  } else {
    std::string text = KeyLine("store", in.path);
    text += KeyLine("type", "segment store (float32 [segments x 12 x L] shards, index.jsonl, manifest.json)");
    text += KeyLine("segments", absl::StrCat(s.size()));
    text += KeyLine("length", absl::StrCat(s.segment_length(), " samples (", Num(seconds), " s at ",
                                           Num(s.sampling_rate_hz()), " Hz)"));
    text += KeyLine("leads", absl::StrCat(leads.size(), " (", absl::StrJoin(leads, ", "), ")"));
    text += KeyLine("shards", absl::StrCat(s.num_shards(), " (", absl::StrJoin(shard_files, ", "), ")"));
    text += KeyLine("hash", hash.empty() ? "-" : hash);
    std::vector<std::string> lines;
    for (const auto& [key, value] : counts.items()) {
      if (key != "quality" && key != "errors") FlattenJson(value, key, &lines);
    }
    text += IndentedLines("counts", lines);
    if (counts.contains("quality") && counts["quality"].is_object()) text += QualityLines(counts["quality"]);
    const nlohmann::json errors = counts.value("errors", nlohmann::json::array());
    if (errors.is_array() && !errors.empty()) {
      text += KeyLine("errors", absl::StrCat(errors.size(), " kept in the manifest; the first: ",
                                             errors[0].is_string() ? errors[0].get<std::string>() : errors[0].dump()));
    }
    lines.clear();
    FlattenJson(parameters, "", &lines);
    text += IndentedLines("parameters", lines);
    if (verify) {
      text += KeyLine("verified", verified.ok() ? "ok (every shard and the index match their SHA-256)" : "FAILED");
    }
    ctx.out() << text << std::flush;
  }
  if (!verified.ok()) return Fail(ctx, verified, kExitInvalidArgument);
  return kExitOk;
}

int InspectCode15File(CommandContext& ctx, const InputSpec& in, bool json) {
  auto file = ecg::Code15File::Open(in.path);
  if (!file.ok()) return Fail(ctx, file.status(), kExitInvalidArgument);
  auto ids = (*file)->ReadExamIds();
  if (!ids.ok()) return Fail(ctx, ids.status(), kExitInvalidArgument);
  const int64_t exams = (*file)->num_exams();
  const int64_t samples = (*file)->samples_per_exam();
  std::vector<int64_t> shown(ids->begin(),
                             ids->begin() + static_cast<std::ptrdiff_t>(std::min(ids->size(), kShownExamIds)));
  if (json) {
    nlohmann::json j = {{"type", "code15-hdf5"},
                        {"path", in.path},
                        {"exams", exams},
                        {"samples_per_exam", samples},
                        {"sampling_rate_hz", ecg::kCode15RateHz},
                        {"leads", 12},
                        {"first_exam_ids", shown}};
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  std::string text = KeyLine("file", in.path);
  text += KeyLine("type", "CODE-15 HDF5 ('tracings' float32 [exams x samples x 12], 'exam_id')");
  text += KeyLine("exams", absl::StrCat(exams));
  text += KeyLine("samples",
                  absl::StrCat(samples, " per exam (", Num(ecg::kCode15RateHz), " Hz, ",
                               Num(static_cast<double>(samples) / ecg::kCode15RateHz), " s with the zero padding)"));
  text += KeyLine("exam ids", absl::StrCat(absl::StrJoin(shown, ", "), ids->size() > shown.size() ? ", ..." : ""));
  text += absl::StrCat("one exam: ecgbench data inspect ", in.path, "#ROW (ROW from 0)\n");
  ctx.out() << text << std::flush;
  return kExitOk;
}

}  // namespace ecgbench::client::data
