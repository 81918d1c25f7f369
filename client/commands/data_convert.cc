// `ecgbench data convert IN OUT --rate HZ [--filter] [--input-rate HZ] [--resample M] [--nan P]`:
// one record (WFDB, .mat + .hea, FILE.hdf5#ROW, .npy) through the per-record steps of the
// preprocess pipeline (data_common.h PrepareRecord) into a float32 .npy [leads x samples] or a
// WFDB record (format 16, 1000 adu/mV).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/commands/data.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_writer.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;

struct ConvertOptions {
  std::string in;
  std::string out;
  double rate = 0;
  bool filter = false;
  double input_rate = 0;
  std::string resample = "cubic";
  std::string nan = "skip";
  bool json = false;
};

struct OutputSpec {
  bool npy = false;
  std::string path;  // the .npy file
  std::string dir;   // WFDB: directory and record name
  std::string name;
};

absl::StatusOr<OutputSpec> ClassifyOutput(const std::string& arg) {
  OutputSpec out;
  const std::filesystem::path p(arg);
  const std::string ext = absl::AsciiStrToLower(p.extension().string());
  if (ext == ".npy") {
    out.npy = true;
    out.path = arg;
    return out;
  }
  if (!ext.empty() && ext != ".hea") {
    return absl::InvalidArgumentError(absl::StrCat(arg, ": unknown output type '", ext,
                                                   "' (expected a .npy file or a WFDB record: .hea or a base path)"));
  }
  out.dir = p.parent_path().empty() ? "." : p.parent_path().string();
  out.name = ext.empty() ? p.filename().string() : p.stem().string();
  out.path = out.dir + "/" + out.name + ".hea";
  return out;
}

int RunConvert(CommandContext& ctx, const ConvertOptions& o) {
  auto in = data::ClassifyInput(o.in);
  if (!in.ok()) return data::Fail(ctx, in.status(), kExitUsage);
  if (in->kind == data::InputKind::kNpy && !(o.input_rate > 0)) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(absl::StrCat(
                          o.in, ": --input-rate is required for .npy input (a .npy file has no sampling rate)")),
                      kExitUsage);
  }
  if (in->kind != data::InputKind::kNpy && o.input_rate > 0) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(absl::StrCat(
                          o.in, ": --input-rate applies only to .npy input (this file gives its own rate)")),
                      kExitUsage);
  }
  if (in->kind == data::InputKind::kCode15File || in->kind == data::InputKind::kDirectory) {
    return data::Fail(ctx, data::ReadInputRecord(*in, 0).status(), kExitUsage);
  }
  auto out = ClassifyOutput(o.out);
  if (!out.ok()) return data::Fail(ctx, out.status(), kExitUsage);
  data::PrepareOptions prepare;
  prepare.target_rate_hz = o.rate;
  prepare.paper_filters = o.filter;
  auto nan = ecg::ParseNanPolicy(o.nan);
  auto method = ecg::ParseResampleMethod(o.resample);
  if (!nan.ok()) return data::Fail(ctx, nan.status(), kExitUsage);
  if (!method.ok()) return data::Fail(ctx, method.status(), kExitUsage);
  prepare.nan = *nan;
  prepare.resample = *method;

  auto record = data::ReadInputRecord(*in, o.input_rate);
  if (!record.ok()) return data::Fail(ctx, record.status(), kExitInvalidArgument);
  auto report = data::PrepareRecord(*record, prepare);
  if (!report.ok()) return data::Fail(ctx, report.status(), kExitInvalidArgument);

  const std::string parent = out->npy ? std::filesystem::path(out->path).parent_path().string() : out->dir;
  if (!parent.empty()) {
    if (absl::Status st = common::MakeDirs(parent); !st.ok()) return data::Fail(ctx, st, kExitFailed);
  }
  absl::Status written =
      out->npy ? ecg::WriteNpy(out->path, {record->num_leads(), record->num_samples}, record->samples.data())
               : ecg::WriteWfdbRecord(*record, out->dir, out->name);
  if (!written.ok()) return data::Fail(ctx, written, kExitFailed);

  if (o.json) {
    nlohmann::json j = {{"input", o.in},
                        {"output", out->path},
                        {"output_format", out->npy ? "npy-float32" : "wfdb-16"},
                        {"leads", record->leads},
                        {"input_rate_hz", report->input_rate_hz},
                        {"input_samples", report->input_samples},
                        {"rate_hz", record->sampling_rate_hz},
                        {"samples", record->num_samples},
                        {"resample", ecg::ResampleMethodName(prepare.resample)},
                        {"filters", o.filter ? "paper" : "none"},
                        {"harmonized", report->harmonized},
                        {"nonfinite_zeroed", report->nonfinite_zeroed}};
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  std::string notes = ecg::ResampleMethodName(prepare.resample);
  if (o.filter) absl::StrAppend(&notes, ", paper filters");
  if (report->harmonized) absl::StrAppend(&notes, ", leads I..V6");
  if (report->nonfinite_zeroed > 0) absl::StrAppend(&notes, ", ", report->nonfinite_zeroed, " NaN/Inf zero-filled");
  ctx.out() << "converted " << o.in << " -> " << out->path << ": " << record->num_leads() << " leads, "
            << data::Num(report->input_rate_hz) << " Hz x " << report->input_samples << " -> "
            << data::Num(record->sampling_rate_hz) << " Hz x " << record->num_samples << " samples (" << notes << ")\n"
            << std::flush;
  return kExitOk;
}

}  // namespace

void AddDataConvertCommand(CLI::App& data, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = data.add_subcommand(
      "convert", "Convert one record to a resampled .npy or WFDB record, through the pipeline's steps");
  cmd->add_option("IN", o->in,
                  "Input: a WFDB record (.hea, .dat or base path), a .mat with its .hea, FILE.hdf5#ROW (a CODE-15 "
                  "exam, ROW from 0), or a .npy [leads x samples]")
      ->required();
  cmd->add_option("OUT", o->out, "Output: FILE.npy (float32 [leads x samples]) or a WFDB record (.hea or base path)")
      ->required();
  cmd->add_option("--rate", o->rate, "Target sampling rate, Hz")->required()->check(CLI::PositiveNumber);
  cmd->add_flag("--filter", o->filter, "Apply the paper-era filters (notch 50/60, band-pass, high-pass, db6)");
  cmd->add_option("--input-rate", o->input_rate, "Sampling rate of a .npy input, Hz (required for .npy)")
      ->check(CLI::PositiveNumber)
      ->default_str("");
  cmd->add_option("--resample", o->resample, "Resampling: cubic (upstream-exact) or polyphase")
      ->check(CLI::IsMember({"cubic", "polyphase"}));
  cmd->add_option("--nan", o->nan, "NaN/Inf: skip (refuse the record) or zero (zero-fill)")
      ->check(CLI::IsMember({"skip", "zero"}));
  cmd->add_flag("--json", o->json, "Print what was converted as one JSON document");
  cmd->footer(data::kDataFooter);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunConvert(ctx, *o); }; });
}

}  // namespace ecgbench::client
