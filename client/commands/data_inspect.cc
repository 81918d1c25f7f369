// `ecgbench data inspect PATH [--input-rate HZ] [--verify] [--json]`: a record's header (format,
// leads, rate, samples, duration, units, WFDB gains, comments or metadata) and per-lead stats; a
// segment store's manifest; a CODE-15 HDF5 file's exams; a .npy array.
#include "client/commands/data_inspect.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/commands/data.h"
#include "client/commands/exit_codes.h"
#include "client/ui/table.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;
using data::KeyLine;
using data::Num;

struct InspectOptions {
  std::string path;
  double input_rate = 0;
  bool verify = false;
  bool json = false;
};

// What is shown about one record besides its samples.
struct RecordView {
  std::string type;    // human-readable file type
  std::string format;  // "wfdb", "mat", "npy", "code15"
  ecg::Record record;
  bool rate_known = true;
  std::optional<ecg::WfdbHeader> header;                   // WFDB and .mat
  std::vector<std::pair<std::string, std::string>> lines;  // extra key lines (after "duration")
  nlohmann::json details = nlohmann::json::object();       // extra JSON fields
};

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("(", absl::StrJoin(shape, ", "), shape.size() == 1 ? ",)" : ")");
}

absl::StatusOr<RecordView> LoadWfdb(const data::InputSpec& in) {
  RecordView v;
  std::string header_path = in.path;
  if (in.kind == data::InputKind::kMat) header_path.resize(header_path.size() - 4);  // drop ".mat"
  auto header = ecg::ReadWfdbHeaderFile(header_path);
  if (!header.ok()) return header.status();
  auto record = ecg::ReadWfdbRecord(header_path);
  if (!record.ok()) return record.status();
  v.record = *std::move(record);
  std::set<std::string> formats, files;
  bool mat = false;
  for (const auto& s : header->signals) {
    formats.insert(absl::StrCat(s.format));
    files.insert(s.file_name);
    mat = mat || (s.file_name.size() > 4 && s.file_name.compare(s.file_name.size() - 4, 4, ".mat") == 0);
  }
  v.format = mat ? "mat" : "wfdb";
  v.type =
      mat ? absl::StrCat("WFDB header + MATLAB v4 signals (", absl::StrJoin(files, ", "), ")")
          : absl::StrCat("WFDB record (format ", absl::StrJoin(formats, "/"), " in ", absl::StrJoin(files, ", "), ")");
  v.header = *std::move(header);
  return v;
}

absl::StatusOr<RecordView> LoadCode15Row(const data::InputSpec& in) {
  RecordView v;
  auto file = ecg::Code15File::Open(in.path);
  if (!file.ok()) return file.status();
  auto record = (*file)->ReadExam(in.row, ecg::Code15View::kRaw);
  if (!record.ok()) return record.status();
  v.record = *std::move(record);
  v.format = "code15";
  v.type = absl::StrCat("CODE-15 HDF5 exam (row ", in.row, " of ", (*file)->num_exams(), ")");
  const std::string begin = v.record.extra["content_begin"];
  const std::string end = v.record.extra["content_end"];
  v.lines.emplace_back("content", absl::StrCat("samples ", begin, "..", end, " (the rest is zero padding)"));
  v.details["content_begin"] = begin;
  v.details["content_end"] = end;
  return v;
}

// True when every signal of `h` has the same `get` value (shown on one line, else in a column).
template <typename Get>
bool Uniform(const ecg::WfdbHeader& h, Get get) {
  for (const auto& s : h.signals) {
    if (get(s) != get(h.signals.front())) return false;
  }
  return true;
}

void PrintRecordText(CommandContext& ctx, const std::string& path, const RecordView& v) {
  const ecg::Record& r = v.record;
  std::string text = KeyLine("file", path);
  text += KeyLine("type", v.type);
  text += KeyLine("record", r.id.empty() ? "-" : r.id);
  if (!r.patient_id.empty()) text += KeyLine("patient", r.patient_id);
  text += KeyLine("leads", absl::StrCat(r.num_leads(), " (", absl::StrJoin(r.leads, ", "), ")"));
  text += KeyLine("rate", v.rate_known ? absl::StrCat(Num(r.sampling_rate_hz), " Hz") : "unknown (give --input-rate)");
  text += KeyLine("samples", absl::StrCat(r.num_samples, " per lead"));
  if (v.rate_known) text += KeyLine("duration", absl::StrCat(Num(r.duration_s()), " s"));
  for (const auto& [key, value] : v.lines) text += KeyLine(key, value);
  auto gain = [](const ecg::WfdbSignalSpec& s) { return Num(s.adc_gain); };
  auto baseline = [](const ecg::WfdbSignalSpec& s) { return absl::StrCat(s.baseline); };
  auto units = [](const ecg::WfdbSignalSpec& s) { return s.units; };
  bool gain_col = false, baseline_col = false, units_col = false;
  if (v.header && !v.header->signals.empty()) {
    const ecg::WfdbSignalSpec& s0 = v.header->signals.front();
    units_col = !Uniform(*v.header, units);
    gain_col = !Uniform(*v.header, gain);
    baseline_col = !Uniform(*v.header, baseline);
    text += KeyLine("units", units_col ? "per lead (values below in mV)"
                                       : s0.units + (s0.units == "mV" ? "" : " (values below in mV)"));
    text += KeyLine("gain", gain_col ? "per lead" : absl::StrCat(Num(s0.adc_gain), " adu/", s0.units));
    text += KeyLine("baseline", baseline_col ? "per lead" : absl::StrCat(s0.baseline));
    if (!v.header->comments.empty()) {
      text += KeyLine("comments", v.header->comments.front());
      for (size_t i = 1; i < v.header->comments.size(); ++i) {
        text += std::string(12, ' ') + v.header->comments[i] + "\n";
      }
    }
  } else {
    text += KeyLine("units", "mV");
    if (r.age) text += KeyLine("age", absl::StrCat(*r.age));
    if (!r.sex.empty()) text += KeyLine("sex", r.sex);
    if (!r.dx_codes.empty()) text += KeyLine("dx", absl::StrJoin(r.dx_codes, ","));
    if (!r.report.empty()) text += KeyLine("report", r.report);
  }
  Table table;
  table.header = {"lead"};
  if (units_col) table.header.push_back("units");
  if (gain_col) table.header.push_back("gain");
  if (baseline_col) table.header.push_back("baseline");
  for (const char* h : {"min", "max", "mean", "std", "nan", "flat", "saturated"}) table.header.emplace_back(h);
  table.right_align.assign(table.header.size(), true);
  table.right_align[0] = false;
  if (units_col) table.right_align[1] = false;
  const std::vector<data::LeadStats> stats = data::ComputeLeadStats(r);
  for (size_t l = 0; l < stats.size(); ++l) {
    const data::LeadStats& s = stats[l];
    std::vector<std::string> row = {s.lead};
    if (units_col) row.push_back(units(v.header->signals[l]));
    if (gain_col) row.push_back(gain(v.header->signals[l]));
    if (baseline_col) row.push_back(baseline(v.header->signals[l]));
    for (double x : {s.min, s.max, s.mean, s.std}) row.push_back(absl::StrFormat("%.4f", x));
    row.push_back(absl::StrCat(s.nonfinite));
    row.push_back(s.flat ? "yes" : "-");
    row.push_back(s.saturated ? "yes" : "-");
    table.rows.push_back(std::move(row));
  }
  ctx.out() << text << "\n" << RenderTable(table) << std::flush;
}

nlohmann::json RecordJson(const std::string& path, const RecordView& v) {
  const ecg::Record& r = v.record;
  nlohmann::json j = {{"path", path},
                      {"type", v.type},
                      {"format", v.format},
                      {"record_id", r.id},
                      {"patient_id", r.patient_id},
                      {"leads", r.leads},
                      {"num_samples", r.num_samples}};
  j["sampling_rate_hz"] = v.rate_known ? nlohmann::json(r.sampling_rate_hz) : nlohmann::json(nullptr);
  j["duration_s"] = v.rate_known ? nlohmann::json(r.duration_s()) : nlohmann::json(nullptr);
  nlohmann::json meta = {{"sex", r.sex}, {"dx_codes", r.dx_codes}, {"report", r.report}, {"extra", r.extra}};
  meta["age"] = r.age ? nlohmann::json(*r.age) : nlohmann::json(nullptr);
  j["metadata"] = meta;
  if (v.header) {
    nlohmann::json signals = nlohmann::json::array();
    for (const auto& s : v.header->signals) {
      signals.push_back({{"lead", s.description},
                         {"file", s.file_name},
                         {"format", s.format},
                         {"gain", s.adc_gain},
                         {"baseline", s.baseline},
                         {"units", s.units},
                         {"adc_resolution", s.adc_resolution},
                         {"adc_zero", s.adc_zero}});
    }
    j["signals"] = signals;
    j["comments"] = v.header->comments;
  }
  j.update(v.details);
  nlohmann::json stats = nlohmann::json::array();
  for (const data::LeadStats& s : data::ComputeLeadStats(r)) {
    stats.push_back({{"lead", s.lead},
                     {"min", s.min},
                     {"max", s.max},
                     {"mean", s.mean},
                     {"std", s.std},
                     {"nonfinite", s.nonfinite},
                     {"flat", s.flat},
                     {"saturated", s.saturated}});
  }
  j["stats"] = stats;
  return j;
}

int InspectNpy(CommandContext& ctx, const data::InputSpec& in, const InspectOptions& o) {
  auto array = ecg::ReadNpy(in.path);
  if (!array.ok()) return data::Fail(ctx, array.status(), kExitInvalidArgument);
  const std::string type =
      absl::StrCat("NumPy .npy (", ecg::NpyDescr(array->dtype), ", shape ", ShapeText(array->shape), ")");
  if (array->shape.empty() || array->shape.size() > 2) {
    if (o.json) {
      nlohmann::json j = {{"path", in.path},
                          {"type", type},
                          {"format", "npy"},
                          {"dtype", ecg::NpyDescr(array->dtype)},
                          {"shape", array->shape}};
      ctx.out() << j.dump(2) << "\n" << std::flush;
    } else {
      ctx.out() << KeyLine("file", in.path) << KeyLine("type", type)
                << "(per-lead stats need a [leads x samples] or [samples] array)\n"
                << std::flush;
    }
    return kExitOk;
  }
  RecordView v;
  v.format = "npy";
  v.type = type;
  v.rate_known = o.input_rate > 0;
  auto record = ecg::ReadNpyRecord(in.path, v.rate_known ? o.input_rate : 1.0);
  if (!record.ok()) return data::Fail(ctx, record.status(), kExitInvalidArgument);
  v.record = *std::move(record);
  v.details["dtype"] = ecg::NpyDescr(array->dtype);
  v.details["shape"] = array->shape;
  if (o.json) {
    ctx.out() << RecordJson(in.path, v).dump(2) << "\n" << std::flush;
  } else {
    PrintRecordText(ctx, in.path, v);
  }
  return kExitOk;
}

int RunInspect(CommandContext& ctx, const InspectOptions& o) {
  auto in = data::ClassifyInput(o.path);
  if (!in.ok()) return data::Fail(ctx, in.status(), kExitUsage);
  if (o.input_rate > 0 && in->kind != data::InputKind::kNpy) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(absl::StrCat(
                          o.path, ": --input-rate applies only to .npy input (this file gives its own rate)")),
                      kExitUsage);
  }
  absl::StatusOr<RecordView> view;
  switch (in->kind) {
    case data::InputKind::kDirectory:
      return data::InspectSegmentStore(ctx, *in, o.verify, o.json);
    case data::InputKind::kCode15File:
      return data::InspectCode15File(ctx, *in, o.json);
    case data::InputKind::kNpy:
      return InspectNpy(ctx, *in, o);
    case data::InputKind::kCode15Row:
      view = LoadCode15Row(*in);
      break;
    case data::InputKind::kWfdb:
    case data::InputKind::kMat:
      view = LoadWfdb(*in);
      break;
  }
  if (!view.ok()) return data::Fail(ctx, view.status(), kExitInvalidArgument);
  if (o.json) {
    ctx.out() << RecordJson(o.path, *view).dump(2) << "\n" << std::flush;
  } else {
    PrintRecordText(ctx, o.path, *view);
  }
  return kExitOk;
}

}  // namespace

void AddDataInspectCommand(CLI::App& data, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* cmd = data.add_subcommand(
      "inspect", "Show a record's header and per-lead stats, a segment store's manifest, or an HDF5 file's exams");
  cmd->add_option("PATH", o->path,
                  "A WFDB record (.hea, .dat or base path), a .mat, FILE.hdf5#ROW or FILE.hdf5, a .npy, or a "
                  "segment store directory")
      ->required();
  cmd->add_option("--input-rate", o->input_rate, "Sampling rate of a .npy input, Hz (for the duration)")
      ->check(CLI::PositiveNumber)
      ->default_str("");
  cmd->add_flag("--verify", o->verify, "Segment store: recompute and check every checksum (XXH3-128)");
  cmd->add_flag("--json", o->json, "Print as one JSON document");
  cmd->footer(data::kDataFooter);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunInspect(ctx, *o); }; });
}

}  // namespace ecgbench::client
