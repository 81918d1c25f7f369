// `ecgbench text train --vocab-size N [--min-frequency F] [--specials llama3|chatml|gpt2] [--ecgqa]
// --out tokenizer.json INPUT...` (text_train.h): no coordinator. Inputs are text files with one
// document per line ("-": stdin), or with --ecgqa ECG-QA JSON files / directories of them.
// Exit codes: 0 success, 2 usage, 6 invalid input (an unreadable or malformed input naming the file
// and line or element, an empty corpus, a vocabulary size below 256 + special tokens), 1 writing
// the output failed.
#include "client/commands/text_train.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "client/commands/input_lines.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::client {

namespace {

namespace fs = std::filesystem;
using common::text::BpeTrainer;

constexpr char kFooter[] =
    "Exit codes: 0 success, 1 failure (writing the output), 2 usage error, 6 invalid input (an unreadable or\n"
    "malformed input, an empty corpus, a vocabulary size below 256 + special tokens).\n"
    "docs/text-tokenizers.md, section \"Training a tokenizer\", has the details.";

struct TrainOptions {
  int32_t vocab_size = 0;
  int64_t min_frequency = 2;
  std::string specials = "llama3";
  bool ecgqa = false;
  std::string out;
  std::vector<std::string> inputs;
};

absl::Status AddEcgQaFile(const std::string& path, BpeTrainer* trainer) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(path));
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json root, common::ParseJson(text, path));
  if (!root.is_array()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON array of ECG-QA questions"));
  const auto add = [&](const nlohmann::json& s, size_t i, const std::string& field) -> absl::Status {
    const absl::Status st = trainer->AddDocument(s.get_ref<const std::string&>());
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": [", i, "].", field, ": ", st.message()));
    return absl::OkStatus();
  };
  for (size_t i = 0; i < root.size(); ++i) {
    const nlohmann::json& q = root[i];
    if (!q.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": [", i, "]: expected an object"));
    const auto question = q.find("question");
    if (question == q.end() || !question->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": [", i, "].question: missing or not a string"));
    }
    ECGBENCH_RETURN_IF_ERROR(add(*question, i, "question"));
    const auto answer = q.find("answer");
    if (answer == q.end() || answer->is_null()) continue;
    if (!answer->is_array()) return absl::InvalidArgumentError(absl::StrCat(path, ": [", i, "].answer: expected a list of strings"));
    for (size_t k = 0; k < answer->size(); ++k) {
      if (!(*answer)[k].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": [", i, "].answer[", k, "]: expected a string"));
      }
      ECGBENCH_RETURN_IF_ERROR(add((*answer)[k], i, absl::StrCat("answer[", k, "]")));
    }
  }
  return absl::OkStatus();
}

absl::Status AddTextInput(const std::string& input, BpeTrainer* trainer) {
  std::error_code ec;
  if (input != "-" && fs::is_directory(input, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(input, ": is a directory (text inputs are files; --ecgqa reads directories of ECG-QA JSON)"));
  }
  return ForEachInputLine(input, [&](const std::string& line, int64_t n) -> absl::Status {
    const absl::Status st = trainer->AddDocument(line);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(InputLineName(input, n), ": ", st.message()));
    return absl::OkStatus();
  });
}

int RunTrain(CommandContext& ctx, const TrainOptions& o) {
  common::text::BpeTrainerOptions options;
  options.vocab_size = o.vocab_size;
  options.min_frequency = o.min_frequency;
  auto specials = common::text::ParseSpecialTokenSet(o.specials);
  if (!specials.ok()) {
    return data::Fail(ctx, absl::InvalidArgumentError(absl::StrCat("--specials: ", specials.status().message())), kExitUsage);
  }
  options.specials = *specials;
  auto trainer = BpeTrainer::Create(options);
  if (!trainer.ok()) {
    const absl::Status st = absl::InvalidArgumentError(absl::StrCat("--vocab-size: ", trainer.status().message()));
    return data::Fail(ctx, st, kExitInvalidArgument);
  }
  int64_t files = 0;
  for (const std::string& input : o.inputs) {
    const absl::Status st = o.ecgqa ? AddEcgQaInput(input, &*trainer, &files) : AddTextInput(input, &*trainer);
    if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
    if (!o.ecgqa) ++files;
  }
  auto trained = trainer->Train();
  if (!trained.ok()) return data::Fail(ctx, trained.status(), kExitInvalidArgument);
  const fs::path parent = fs::path(o.out).parent_path();
  absl::Status written = parent.empty() ? absl::OkStatus() : common::MakeDirs(parent.string());
  if (written.ok()) written = common::WriteFileAtomic(o.out, trained->ToTokenizerJson());
  if (!written.ok()) return data::Fail(ctx, written, kExitFailed);
  ctx.out() << "trained a byte-level BPE tokenizer: " << trained->total_size() << " tokens = 256 bytes + "
            << trained->vocab.size() - 256 << " merged + " << trained->special_tokens.size() << " special (" << o.specials
            << "); " << trained->merges.size() << " merges\n"
            << "corpus: " << files << " files, " << trainer->documents() << " documents, " << trained->pieces << " words ("
            << trained->words << " distinct)\n";
  if (trained->total_size() < o.vocab_size) {
    ctx.out() << "the vocabulary is smaller than --vocab-size " << o.vocab_size << ": no pair left occurs at least "
              << std::max<int64_t>(1, o.min_frequency) << " times\n";
  }
  ctx.out() << "wrote " << o.out << "\n" << std::flush;
  return kExitOk;
}

}  // namespace

absl::Status AddEcgQaInput(const std::string& input, BpeTrainer* trainer, int64_t* files) {
  std::error_code ec;
  if (!fs::exists(input, ec)) return absl::NotFoundError(absl::StrCat(input, ": no such file or directory"));
  if (!fs::is_directory(input, ec)) {
    ECGBENCH_RETURN_IF_ERROR(AddEcgQaFile(input, trainer));
    ++*files;
    return absl::OkStatus();
  }
  std::vector<std::string> paths;
  for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file(ec)) paths.push_back(it->path().string());
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(input, ": cannot list the directory: ", ec.message()));
  if (paths.empty()) return absl::InvalidArgumentError(absl::StrCat(input, ": no .json files in this directory"));
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) ECGBENCH_RETURN_IF_ERROR(AddEcgQaFile(path, trainer));
  *files += static_cast<int64_t>(paths.size());
  return absl::OkStatus();
}

void AddTextTrainCommand(CLI::App* text, CommandContext& ctx, Action* action) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* train = text->add_subcommand("train", "Train a byte-level BPE tokenizer (HF tokenizer.json) on text or ECG-QA JSON");
  train->add_option("--vocab-size", o->vocab_size, "Total vocabulary: 256 byte symbols + merges + special tokens")
      ->required()
      ->check(CLI::Range(1, 1 << 24));
  train->add_option("--min-frequency", o->min_frequency, "Pairs seen fewer times are never merged")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  train->add_option("--specials", o->specials, "Special tokens of a chat-template family")
      ->check(CLI::IsMember({"llama3", "chatml", "gpt2"}))
      ->capture_default_str();
  train->add_flag("--ecgqa", o->ecgqa,
                  "Inputs are ECG-QA JSON files or directories of them (recursive): every question and answer string");
  train->add_option("--out", o->out, "The tokenizer.json to write (atomically)")->required();
  train->add_option("inputs", o->inputs, "Text files, one document per line ('-': stdin); with --ecgqa, JSON files or directories")
      ->required();
  train->footer(kFooter);
  train->callback([&ctx, action, o] { *action = [&ctx, o] { return RunTrain(ctx, *o); }; });
}

}  // namespace ecgbench::client
