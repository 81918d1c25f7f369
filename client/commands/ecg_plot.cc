// `ecgbench ecg plot INPUT -o OUT.png [--layout 2x6|4x3+rhythm] [--rate HZ] [--segment I]
// [--seconds S] [--calibration auto|on|off] [--dpi D]`: renders one ECG as a clinical 12-lead image
// (common/repr/image/ecg_plot.h). INPUT is a record file any `ecgbench data` command reads (brought
// to the 12 standard leads and to 250 Hz through the pipeline's per-record steps, data_common.h
// PrepareRecord) or a segment store directory with --segment I.
// Exit codes: 0 success, 2 usage (bad option, unknown input or output kind, .npy without --rate,
// --segment misuse, an image too large), 6 invalid input (unreadable or malformed input, not 12
// standard leads, NaN/Inf values), 1 other failures (writing the PNG).
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/commands/commands.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/repr/image/ecg_plot.h"
#include "common/repr/image/png.h"
#include "common/util/files.h"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;
namespace repr = common::repr;

constexpr double kImageRateHz = 250;  // the pipeline's rate, upstream's sample_rate=250

struct PlotOptions {
  std::string input;
  std::string out;
  std::string layout = "2x6";
  double rate = 0;
  int64_t segment = -1;
  double seconds = 10;
  std::string calibration = "auto";
  double dpi = 100;
};

absl::StatusOr<ecg::Record> ReadSegment(const std::string& dir, int64_t index, int* exit_code) {
  auto store = ecg::SegmentStore::Open(dir);
  if (!store.ok()) {
    *exit_code = kExitInvalidArgument;
    return store.status();
  }
  if (index >= (*store)->size()) {
    *exit_code = kExitUsage;
    return absl::InvalidArgumentError(absl::StrCat(dir, ": --segment ", index, " is out of range (the store has ",
                                                   (*store)->size(), " segments)"));
  }
  auto meta = (*store)->Meta(index);
  if (!meta.ok()) {
    *exit_code = kExitInvalidArgument;
    return meta.status();
  }
  ecg::Record record;
  record.id = absl::StrCat(meta->record_id, "#", meta->segment_index);
  record.source = meta->source;
  record.path = absl::StrCat(dir, " segment ", index);
  record.sampling_rate_hz = (*store)->sampling_rate_hz();
  record.num_samples = (*store)->segment_length();
  for (const char* lead : ecg::kStandardLeads) record.leads.emplace_back(lead);
  const float* data = (*store)->Segment(index);
  record.samples.assign(data, data + ecg::kNumStandardLeads * record.num_samples);
  return record;
}

int RunPlot(CommandContext& ctx, const PlotOptions& o) {
  auto layout = repr::ParseEcgLayout(o.layout);
  if (!layout.ok()) return data::Fail(ctx, layout.status(), kExitUsage);
  repr::EcgPlotOptions plot = repr::DefaultEcgPlotOptions(*layout);
  if (o.calibration != "auto") plot.calibration_pulse = o.calibration == "on";
  plot.dpi = o.dpi;
  const std::string ext = absl::AsciiStrToLower(std::filesystem::path(o.out).extension().string());
  if (ext != ".png") {
    return data::Fail(ctx, absl::InvalidArgumentError(absl::StrCat(o.out, ": the output must be a .png file")),
                      kExitUsage);
  }
  auto in = data::ClassifyInput(o.input);
  if (!in.ok()) return data::Fail(ctx, in.status(), kExitUsage);
  const bool is_store = in->kind == data::InputKind::kDirectory;
  if (is_store != (o.segment >= 0)) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(
                          is_store ? absl::StrCat(o.input, ": a segment store directory needs --segment I")
                                   : absl::StrCat(o.input, ": --segment applies only to a segment store directory")),
                      kExitUsage);
  }
  if ((in->kind == data::InputKind::kNpy) != (o.rate > 0)) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(
                          o.rate > 0 ? absl::StrCat(o.input, ": --rate applies only to .npy input (this input gives its own rate)")
                                     : absl::StrCat(o.input, ": --rate is required for .npy input (a .npy file has no sampling rate)")),
                      kExitUsage);
  }
  if (in->kind == data::InputKind::kCode15File) {
    return data::Fail(ctx, data::ReadInputRecord(*in, 0).status(), kExitUsage);
  }

  int read_exit = kExitInvalidArgument;
  auto record = is_store ? ReadSegment(in->path, o.segment, &read_exit) : data::ReadInputRecord(*in, o.rate);
  if (!record.ok()) return data::Fail(ctx, record.status(), read_exit);
  if (!data::HasStandardLeads(*record)) {
    return data::Fail(ctx,
                      absl::InvalidArgumentError(absl::StrCat(
                          o.input, ": the ECG image needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6); "
                                   "the record has ",
                          record->num_leads(), " (", absl::StrJoin(record->leads, ", "), ")")),
                      kExitInvalidArgument);
  }
  data::PrepareOptions prepare;
  prepare.target_rate_hz = kImageRateHz;
  auto report = data::PrepareRecord(*record, prepare);
  if (!report.ok()) return data::Fail(ctx, report.status(), kExitInvalidArgument);

  const int64_t samples =
      std::min<int64_t>(record->num_samples, std::max<int64_t>(1, std::llround(o.seconds * kImageRateHz)));
  auto geometry = repr::ComputeEcgPlotGeometry(plot, samples, kImageRateHz);
  if (!geometry.ok()) return data::Fail(ctx, geometry.status(), kExitUsage);
  // Lead-major: the first `samples` of each lead, packed.
  std::vector<float> mv(static_cast<size_t>(ecg::kNumStandardLeads * samples));
  for (int l = 0; l < ecg::kNumStandardLeads; ++l) {
    std::copy_n(record->lead(l), samples, mv.begin() + static_cast<ptrdiff_t>(l * samples));
  }
  repr::EcgRenderer renderer(plot);
  repr::RgbImage image;
  if (absl::Status st = renderer.Render(mv.data(), ecg::kNumStandardLeads, samples, kImageRateHz, &image);
      !st.ok()) {
    return data::Fail(ctx, absl::Status(st.code(), absl::StrCat(o.input, ": ", st.message())), kExitInvalidArgument);
  }
  const std::string parent = std::filesystem::path(o.out).parent_path().string();
  if (!parent.empty()) {
    if (absl::Status st = common::MakeDirs(parent); !st.ok()) return data::Fail(ctx, st, kExitFailed);
  }
  if (absl::Status st = repr::WritePng(image, o.out); !st.ok()) return data::Fail(ctx, st, kExitFailed);
  std::string from;
  if (report->input_rate_hz != kImageRateHz) from = absl::StrCat(", resampled from ", data::Num(report->input_rate_hz), " Hz");
  ctx.out() << "wrote " << o.out << ": " << image.width << " x " << image.height << " px, layout " << o.layout << ", "
            << data::Num(static_cast<double>(samples) / kImageRateHz) << " s at 250 Hz" << from << "\n"
            << std::flush;
  return kExitOk;
}

}  // namespace

void AddEcgCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* group = app.add_subcommand("ecg", "ECG tools (no coordinator): plot");
  group->require_subcommand(1);
  auto o = std::make_shared<PlotOptions>();
  CLI::App* cmd = group->add_subcommand("plot", "Render one ECG as a clinical 12-lead image (PNG)");
  cmd->add_option("INPUT", o->input,
                  "A record (WFDB .hea/.dat/base path, .mat with its .hea, FILE.hdf5#ROW, .npy [leads x samples]) "
                  "or a segment store directory (with --segment)")
      ->required();
  cmd->add_option("-o,--out", o->out, "Output PNG file")->required();
  cmd->add_option("--layout", o->layout, "2x6 (upstream's figure) or 4x3+rhythm (the clinical sheet)")
      ->check(CLI::IsMember({"2x6", "4x3+rhythm"}))
      ->capture_default_str();
  cmd->add_option("--rate", o->rate, "Sampling rate of a .npy input, Hz (required for .npy)")
      ->check(CLI::PositiveNumber)
      ->default_str("");
  cmd->add_option("--segment", o->segment, "Segment index in a segment store directory (from 0)")
      ->check(CLI::NonNegativeNumber)
      ->default_str("");
  cmd->add_option("--seconds", o->seconds, "Plot the first S seconds (the whole record when shorter)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--calibration", o->calibration, "1 mV calibration pulse: auto (on for 4x3+rhythm), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  cmd->add_option("--dpi", o->dpi, "Pixels per inch (1 inch per second, 0.4 inch per mV)")
      ->check(CLI::Range(25.0, 600.0))
      ->capture_default_str();
  cmd->footer(
      "Records are brought to the 12 standard leads (I..V6) and resampled to 250 Hz like the preprocess\n"
      "pipeline. Exit codes: 0 success, 1 failure (e.g. writing the PNG), 2 usage error, 6 invalid input.\n"
      "docs/representations/image.md describes the layouts.");
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunPlot(ctx, *o); }; });
}

}  // namespace ecgbench::client
