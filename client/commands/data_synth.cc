// `ecgbench data synth --layout ptbxl|code15|mimic --out DIR --records N --seed S`: writes a
// synthetic data set in a real layout (common/ecg/synth/dataset_writer.h) and prints what it wrote.
// The class histogram is printed only with --summary (ids and file names never carry labels).
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/commands/data.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/synth/dataset_writer.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;

struct SynthCliOptions {
  std::string layout = "ptbxl";
  std::string out;
  int records = 100;
  uint64_t seed = 0;
  std::string classes;
  bool no_noise = false;
  bool no_ecgqa = false;
  bool no_low_rate = false;
  bool summary = false;
  bool json = false;
};

struct Written {
  std::vector<std::string> catalog;  // relative to the output directory
  std::vector<std::string> signals;  // files or folders
  std::string signal_text;           // "WFDB format 16, 12 leads, 500 Hz, 5000 samples"
  nlohmann::json signal = nlohmann::json::object();
  std::string ecgqa_dir;  // relative; empty without ECG-QA
  int64_t ecgqa_files = 0;
};

const char* EcgqaName(ecg::SynthLayout layout) {
  switch (layout) {
    case ecg::SynthLayout::kPtbxl:
      return "ptbxl";
    case ecg::SynthLayout::kCode15:
      return "code15";
    case ecg::SynthLayout::kMimic:
      return "mimic-iv-ecg";
  }
  return "";
}

int64_t CountJsonFiles(const std::string& dir) {
  int64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".json") ++n;
  }
  return n;
}

// Describes the files of a finished run, reading the first record's header for the signal facts.
absl::StatusOr<Written> DescribeWritten(const ecg::SynthDatasetOptions& options,
                                        const std::vector<ecg::SynthRecordTruth>& truth) {
  Written w;
  const std::string first = options.out_dir + "/" + truth.front().path;
  if (options.layout == ecg::SynthLayout::kCode15) {
    w.catalog = {"exams.csv"};
    w.signals = {truth.front().path};
    auto file = ecg::Code15File::Open(first);
    if (!file.ok()) return file.status();
    const int64_t samples = (*file)->samples_per_exam();
    w.signal_text = absl::StrCat("HDF5 'tracings', 12 leads, ", data::Num(ecg::kCode15RateHz), " Hz, ", samples,
                                 " samples per exam (zero-padded)");
    w.signal = {
        {"format", "code15-hdf5"}, {"leads", 12}, {"sampling_rate_hz", ecg::kCode15RateHz}, {"samples", samples}};
  } else {
    auto header = ecg::ReadWfdbHeaderFile(first);
    if (!header.ok()) return header.status();
    const int format = header->signals.empty() ? 0 : header->signals.front().format;
    w.signal_text = absl::StrCat("WFDB format ", format, ", ", header->signals.size(), " leads, ",
                                 data::Num(header->sampling_frequency), " Hz, ", header->num_samples, " samples");
    w.signal = {{"format", absl::StrCat("wfdb-", format)},
                {"leads", header->signals.size()},
                {"sampling_rate_hz", header->sampling_frequency},
                {"samples", header->num_samples}};
    if (options.layout == ecg::SynthLayout::kPtbxl) {
      w.catalog = {"ptbxl_database.csv"};
      w.signals = {"records500/"};
      if (options.write_low_rate) w.signals.push_back("records100/");
    } else {
      w.catalog = {"record_list.csv", "machine_measurements.csv"};
      w.signals = {"files/"};
    }
  }
  if (options.write_ecgqa) {
    w.ecgqa_dir = absl::StrCat("ecgqa/", EcgqaName(options.layout), "/");
    w.ecgqa_files = CountJsonFiles(options.out_dir + "/" + w.ecgqa_dir);
  }
  return w;
}

int RunSynth(CommandContext& ctx, const SynthCliOptions& o) {
  ecg::SynthDatasetOptions options;
  auto layout = ecg::ParseSynthLayout(o.layout);
  if (!layout.ok()) return data::Fail(ctx, layout.status(), kExitUsage);
  options.layout = *layout;
  options.out_dir = o.out;
  options.records = o.records;
  options.seed = o.seed;
  options.noise = !o.no_noise;
  options.write_ecgqa = !o.no_ecgqa;
  options.write_low_rate = !o.no_low_rate;
  if (!o.classes.empty()) {
    for (absl::string_view key : absl::StrSplit(o.classes, ',')) {
      auto c = ecg::ParseEcgClass(std::string(key));
      if (!c.ok()) {
        return data::Fail(ctx, absl::InvalidArgumentError(absl::StrCat("--classes: ", c.status().message())),
                          kExitUsage);
      }
      options.classes.push_back(*c);
    }
  }
  std::vector<ecg::SynthRecordTruth> truth;
  if (absl::Status st = ecg::WriteSyntheticDataset(options, &truth); !st.ok()) {
    return data::Fail(ctx, st, absl::IsInvalidArgument(st) ? kExitUsage : kExitFailed);
  }
  if (truth.empty()) return data::Fail(ctx, absl::InternalError("the synthetic writer wrote no records"), kExitFailed);
  auto written = DescribeWritten(options, truth);
  if (!written.ok()) return data::Fail(ctx, written.status(), kExitFailed);

  std::map<std::string, int> classes;  // by class name, sorted
  for (const auto& t : truth) ++classes[std::string(ecg::EcgClassName(t.meta.ecg_class))];
  const std::string layout_name(ecg::SynthLayoutName(options.layout));
  if (o.json) {
    nlohmann::json j = {
        {"layout", layout_name},     {"out", options.out_dir},          {"records", truth.size()},
        {"seed", options.seed},      {"catalog", written->catalog},     {"signals", written->signals},
        {"signal", written->signal}, {"ecgqa_dir", written->ecgqa_dir}, {"ecgqa_files", written->ecgqa_files}};
    if (o.summary) j["classes"] = classes;
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  std::string text = absl::StrCat("wrote ", truth.size(), " synthetic ", layout_name, " records (seed ", options.seed,
                                  ") to ", options.out_dir, "\n");
  absl::StrAppend(&text, "  ", data::KeyLine("catalog", absl::StrJoin(written->catalog, ", ")));
  absl::StrAppend(
      &text, "  ",
      data::KeyLine("signals", absl::StrCat(absl::StrJoin(written->signals, ", "), " (", written->signal_text, ")")));
  if (!written->ecgqa_dir.empty()) {
    absl::StrAppend(
        &text, "  ",
        data::KeyLine("ecg-qa", absl::StrCat(written->ecgqa_dir, " (", written->ecgqa_files, " JSON files)")));
  }
  if (o.summary) {
    absl::StrAppend(&text, "  classes:\n");
    for (const auto& [name, count] : classes) absl::StrAppend(&text, absl::StrFormat("    %-32s%5d\n", name, count));
  }
  ctx.out() << text << std::flush;
  return kExitOk;
}

}  // namespace

void AddDataSynthCommand(CLI::App& data, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<SynthCliOptions>();
  CLI::App* cmd = data.add_subcommand("synth", "Write a synthetic ECG data set in a real dataset layout");
  cmd->add_option("--layout", o->layout, "Dataset layout")->check(CLI::IsMember({"ptbxl", "code15", "mimic"}));
  cmd->add_option("--out", o->out, "Output directory (created if missing)")->required();
  cmd->add_option("--records", o->records, "Number of records (1 .. 1000000)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--seed", o->seed, "Random seed; the same options give byte-identical files");
  cmd->add_option("--classes", o->classes,
                  "Comma-separated classes (sr, sb, st, af, avb1, bbb, ste, pvc); default all eight, balanced")
      ->default_str("");
  cmd->add_flag("--no-noise", o->no_noise, "No noise, baseline wander or powerline interference");
  cmd->add_flag("--no-ecgqa", o->no_ecgqa, "Do not write the ECG-QA question set");
  cmd->add_flag("--no-low-rate", o->no_low_rate, "ptbxl: do not write records100/ (100 Hz)");
  cmd->add_flag("--summary", o->summary, "Also print how many records each class has");
  cmd->add_flag("--json", o->json, "Print what was written as one JSON document");
  cmd->footer(data::kDataFooter);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunSynth(ctx, *o); }; });
}

}  // namespace ecgbench::client
