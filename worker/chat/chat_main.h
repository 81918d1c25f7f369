// `ecgbench-worker chat ...` (and `ecgbench chat ...`, which execs it): an interactive terminal chat
// with a trained ELM about one ECG, with thumbs-up/down feedback appended to a JSONL file for
// preference data (docs/chat.md). Flags:
//   --checkpoint DIR       the train stage's export directory (required)
//   --ecg RECORD           WFDB record (.hea/.dat/base path), .mat + .hea, .npy [12, L] or [L, 12],
//                          FILE.hdf5#ROW (required)
//   --feedback FILE        preference records (default ./chat_feedback.jsonl); the ECG's PNG is
//                          written next to it
//   --max-new-tokens N     per answer (default 128)
//   --system TEXT          system prompt (default: the template's)
//   --base-model DIR       the base LLM folder (default: the path recorded in the export)
//   --segment-len N, --npy-rate HZ, --max-tokens N, --temperature T, --top-p P, --top-k K, --seed S,
//   --threads N, --log-level LEVEL
// Exit codes: 0 the chat ended (EOF or /quit), 1 other failure (e.g. the feedback file cannot be
// written), 2 bad flags, 6 invalid input (checkpoint or ECG missing, unreadable or unusable).
#pragma once

namespace ecgbench::worker::chat {

inline constexpr int kChatExitOk = 0;
inline constexpr int kChatExitFailed = 1;
inline constexpr int kChatExitUsage = 2;
inline constexpr int kChatExitInvalidInput = 6;

// argv[0] is "chat" (the subcommand); the rest are the flags above. Uses stdin / stdout / stderr;
// prompts only when stdin is a terminal.
int RunChatCommand(int argc, char** argv);

}  // namespace ecgbench::worker::chat
