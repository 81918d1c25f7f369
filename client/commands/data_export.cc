// `ecgbench data export STORE OUT`: writes a segment store as OUT/ecgs.npy (float32
// [N x 12 x L]) and OUT/segments.jsonl (one metadata line per segment), for people who want to look
// at the data in Python (numpy.load). Verifies the store's checksums first unless --no-verify.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/commands/data.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/dataset/segment_store.h"

namespace ecgbench::client {

namespace {

namespace ecg = common::ecg;

struct ExportCliOptions {
  std::string store;
  std::string out;
  bool no_verify = false;
};

int RunExport(CommandContext& ctx, const ExportCliOptions& o) {
  auto store = ecg::SegmentStore::Open(o.store);
  if (!store.ok()) return data::Fail(ctx, store.status(), kExitInvalidArgument);
  if (!o.no_verify) {
    absl::Status verified = (*store)->Verify();
    if (!verified.ok()) return data::Fail(ctx, verified, kExitInvalidArgument);
  }
  absl::Status st = ecg::ExportNpyJsonl(**store, o.out);
  if (!st.ok()) return data::Fail(ctx, st, kExitFailed);
  ctx.out() << "exported " << (*store)->size() << " segments [" << (*store)->size() << " x " << (*store)->num_leads()
            << " x " << (*store)->segment_length() << "] to " << o.out << "/ecgs.npy and " << o.out
            << "/segments.jsonl\n"
            << std::flush;
  return kExitOk;
}

}  // namespace

void AddDataExportCommand(CLI::App& data, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<ExportCliOptions>();
  CLI::App* cmd = data.add_subcommand("export", "Export a segment store as ecgs.npy + segments.jsonl");
  cmd->add_option("STORE", o->store, "Segment store directory")->required();
  cmd->add_option("OUT", o->out, "Output directory (created if missing)")->required();
  cmd->add_flag("--no-verify", o->no_verify, "Skip the checksum verification of the store");
  cmd->footer(data::kDataFooter);
  cmd->callback([&ctx, action, o] { *action = [&ctx, o] { return RunExport(ctx, *o); }; });
}

}  // namespace ecgbench::client
