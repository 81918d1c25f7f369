// The `chat` subcommand of ecgbench-worker (see chat_main.h).
#include "worker/chat/chat_main.h"

#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "common/util/logging.h"
#include "worker/chat/chat_ecg.h"
#include "worker/chat/chat_loop.h"
#include "worker/chat/chat_session.h"

namespace ecgbench::worker::chat {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "ecgbench chat: " << status.message() << "\n";
  const bool bad_input = absl::IsNotFound(status) || absl::IsInvalidArgument(status) ||
                         absl::IsFailedPrecondition(status) || absl::IsPermissionDenied(status);
  return bad_input ? kChatExitInvalidInput : kChatExitFailed;
}

// <directory of the feedback file>/chat_<record id>.png
std::string PngPath(const std::string& feedback, const std::string& record_id) {
  const std::filesystem::path dir = std::filesystem::path(feedback).parent_path();
  std::string name = "chat_" + record_id + ".png";
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == '#') c = '_';
  }
  return (dir / name).string();
}

}  // namespace

int RunChatCommand(int argc, char** argv) {
  ChatSessionOptions options;
  std::string ecg_path;
  std::string feedback = "chat_feedback.jsonl";
  int threads = 0;
  std::string log_level = "warn";
  CLI::App app{"Chat with a trained ELM about one ECG; thumbs-up/down feedback goes to a JSONL file",
               "ecgbench chat"};
  app.add_option("--checkpoint", options.checkpoint_dir, "Export directory of the train stage")->required();
  app.add_option("--ecg", ecg_path,
                 "The ECG: WFDB record (.hea, .dat or base path), .mat with its .hea, .npy [12, L] or [L, 12], "
                 "or FILE.hdf5#ROW")
      ->required();
  app.add_option("--feedback", feedback, "Preference records (JSON lines); the ECG's PNG goes next to it")
      ->capture_default_str();
  app.add_option("--max-new-tokens", options.max_new_tokens, "Tokens per answer at most")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--system", options.system_prompt, "System prompt (default: the chat template's)");
  app.add_option("--base-model", options.base_model_dir, "Base LLM folder (default: the one the export records)");
  app.add_option("--segment-len", options.segment_len,
                 "Samples per lead of the ELM's segments (default: from the export, else 1250)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("--npy-rate", options.npy_rate_hz, "Sampling rate of a .npy ECG, Hz")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-tokens", options.max_tokens,
                 "ECG-Byte ELMs: sequence length that bounds the ECG tokens (default: the training's, else 1024)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("--temperature", options.temperature, "0: greedy (default); > 0: sampling")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--top-p", options.top_p, "Nucleus sampling mass")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--top-k", options.top_k, "Top-k sampling; 0 disables")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24))
      ->capture_default_str();
  app.add_option("--seed", options.seed, "Sampling seed")->capture_default_str();
  app.add_option("--threads", threads, "LibTorch threads (default: hardware concurrency)")->check(CLI::Range(1, 4096));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off (diagnostics on stderr)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.footer(
      "Type a question and press enter; /quit or end of input ends the chat. After each answer, + or - records\n"
      "thumbs up or down (enter skips). Without a terminal on stdin the same lines are read without prompts.\n"
      "Exit codes: 0 chat ended, 1 failure, 2 usage error, 6 invalid input. docs/chat.md has the details.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kChatExitOk : kChatExitUsage;
  }
  if (absl::Status st = common::InitLogging("ecgbench-worker", log_level); !st.ok()) return Fail(st);
  const unsigned hardware = std::thread::hardware_concurrency();
  torch::set_num_threads(threads > 0 ? threads : static_cast<int>(hardware > 0 ? hardware : 1));

  absl::StatusOr<std::unique_ptr<ChatSession>> session = ChatSession::Load(options);
  if (!session.ok()) return Fail(session.status());
  absl::StatusOr<ChatEcg> ecg = LoadChatEcg(ecg_path, (*session)->ecg_options());
  if (!ecg.ok()) return Fail(ecg.status());
  const std::string png = PngPath(feedback, ecg->id);
  if (absl::Status st = WriteChatEcgPng(*ecg, png); !st.ok()) return Fail(st);
  const std::string record_id = ecg->id;
  const int64_t length = ecg->length;
  const double rate = ecg->rate_hz;
  if (absl::Status st = (*session)->SetEcg(*std::move(ecg)); !st.ok()) return Fail(st);

  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  std::cout << "ecgbench chat: " << (*session)->elm_kind() << " ELM " << options.checkpoint_dir << " ("
            << (*session)->template_name() << " template)\n"
            << "ECG " << record_id << ": 12 x " << length << " samples at " << rate << " Hz, image " << png << "\n";
  if (interactive) {
    std::cout << "Ask about the ECG; /quit or Ctrl-D ends. After each answer: + (good), - (bad) or enter to skip.\n";
  }
  std::cout << std::flush;

  ChatLoopOptions loop;
  loop.interactive = interactive;
  loop.checkpoint = options.checkpoint_dir;
  loop.ecg = ecg_path;
  loop.feedback_path = feedback;
  ChatSession& chat = **session;
  absl::StatusOr<ChatLoopSummary> summary = RunChatLoop(
      loop, [&chat](const std::vector<common::text::ChatTurn>& history) { return chat.Reply(history); }, std::cin,
      std::cout, std::cerr);
  if (!summary.ok()) {
    std::cerr << "ecgbench chat: " << summary.status().message() << "\n";
    return kChatExitFailed;
  }
  std::cerr << "chat: " << summary->turns << " answers, " << summary->up << " up, " << summary->down << " down";
  if (summary->up + summary->down > 0) std::cerr << " (appended to " << feedback << ")";
  std::cerr << "\n";
  return kChatExitOk;
}

}  // namespace ecgbench::worker::chat
