// `ecgbench chat --checkpoint DIR --ecg RECORD [...]`: an interactive terminal chat with a trained
// ELM about one ECG. The model runs in LibTorch, which the CLI never links: this command replaces
// the process with `ecgbench-worker chat` (execv, same stdin / stdout / stderr) and the arguments
// given here, so the chat behaves exactly as that command (worker/chat/chat_main.h, docs/chat.md).
// The worker binary is looked up next to `ecgbench`, then on PATH (--worker-binary overrides).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/commands/commands.h"
#include "client/commands/exit_codes.h"
#include "common/util/files.h"

namespace ecgbench::client {
namespace {

constexpr char kWorkerBinary[] = "ecgbench-worker";

// The worker's chat flags (name, help); all take one value.
constexpr const char* kFlags[][2] = {
    {"--checkpoint", "Export directory of the train stage (required)"},
    {"--ecg", "The ECG: WFDB record (.hea, .dat or base path), .mat with its .hea, .npy [12, L] or [L, 12], "
              "or FILE.hdf5#ROW (required)"},
    {"--feedback", "Preference records, JSON lines (default ./chat_feedback.jsonl); the ECG's PNG goes next to it"},
    {"--max-new-tokens", "Tokens per answer at most (default 128)"},
    {"--system", "System prompt (default: the chat template's)"},
    {"--base-model", "Base LLM folder (default: the one the export records)"},
    {"--segment-len", "Samples per lead of the ELM's segments (default: from the export, else 1250)"},
    {"--npy-rate", "Sampling rate of a .npy ECG, Hz (default 250)"},
    {"--max-tokens", "ECG-Byte ELMs: sequence length bounding the ECG tokens (default: the training's, else 1024)"},
    {"--temperature", "0: greedy (default); > 0: sampling"},
    {"--top-p", "Nucleus sampling mass (default 1)"},
    {"--top-k", "Top-k sampling; 0 disables (default)"},
    {"--seed", "Sampling seed (default 0)"},
    {"--threads", "LibTorch threads (default: hardware concurrency)"},
};

struct ChatArgs {
  std::map<std::string, std::string> values;  // by flag name
  std::string worker_binary;
};

int ExecWorker(CommandContext& ctx, const ChatArgs& args, CLI::App* cmd) {
  std::vector<std::string> argv = {kWorkerBinary, "chat"};
  for (const auto& flag : kFlags) {
    if (cmd->count(flag[0]) > 0) {
      argv.push_back(flag[0]);
      argv.push_back(args.values.at(flag[0]));
    }
  }
  argv.push_back("--log-level");
  argv.push_back(ctx.global().log_level);
  std::vector<char*> raw;
  for (std::string& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);

  std::string path = args.worker_binary;
  if (path.empty()) {
    const std::string sibling = (std::filesystem::path(common::ExecutableDir()) / kWorkerBinary).string();
    if (common::FileExists(sibling)) path = sibling;
  }
  ctx.out().flush();
  ctx.err().flush();
  if (path.empty()) {
    ::execvp(kWorkerBinary, raw.data());
    path = kWorkerBinary;
  } else {
    ::execv(path.c_str(), raw.data());
  }
  const int error = errno;  // only reached when exec failed
  return ctx.Fail(absl::FailedPreconditionError(absl::StrCat("chat: cannot run ", path, ": ", std::strerror(error),
                                                             " (the chat runs in ecgbench-worker; build it or put "
                                                             "it next to ecgbench or on PATH)")));
}

}  // namespace

void AddChatCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* cmd = app.add_subcommand("chat", "Chat with a trained ELM about one ECG, with thumbs-up/down feedback");
  for (const auto& flag : kFlags) cmd->add_option(flag[0], args->values[flag[0]], flag[1]);
  cmd->get_option("--checkpoint")->required();
  cmd->get_option("--ecg")->required();
  cmd->add_option("--worker-binary", args->worker_binary,
                  "The ecgbench-worker to run (default: next to ecgbench, then PATH)");
  cmd->footer(
      "Runs `ecgbench-worker chat` (LibTorch) in place of this process. Type a question and press enter;\n"
      "/quit or end of input ends the chat; after each answer + or - records thumbs up or down (enter skips).\n"
      "Exit codes: 0 chat ended, 1 failure, 2 usage error, 6 invalid input. docs/chat.md has the details.");
  cmd->callback([&ctx, action, args, cmd] { *action = [&ctx, args, cmd] { return ExecWorker(ctx, *args, cmd); }; });
}

}  // namespace ecgbench::client
