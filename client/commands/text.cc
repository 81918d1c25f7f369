// `ecgbench text encode|decode --tokenizer PATH`: the LLM text tokenizers from the shell
// (docs/text-tokenizers.md), no coordinator (`text train` is in text_train.cc):
//   encode  lines of UTF-8 text (stdin or --input) -> one JSON array of token ids per line
//           (no BOS/EOS; special tokens written in the text are matched whole)
//   decode  JSON arrays of ids, one per line -> the text, one line each (--skip-special drops
//           special tokens); a decoded text that contains a newline spans several output lines
// PATH: a tokenizer.json, a directory holding one, or a directory with GPT-2's vocab.json + merges.txt.
// Exit codes (client/commands/exit_codes.h): 0 success, 2 usage, 6 invalid input (a missing or
// malformed tokenizer, a line that is not UTF-8, an id line that is not a JSON array of integers or
// holds an id outside the vocabulary; the message names the line), 1 other failures.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/commands/input_lines.h"
#include "client/commands/commands.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "client/commands/text_train.h"
#include "common/text/tokenizer.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

constexpr char kFooter[] =
    "Exit codes: 0 success, 1 failure (e.g. writing the output), 2 usage error, 6 invalid input\n"
    "(a missing or malformed tokenizer, text that is not UTF-8, a bad id line). docs/text-tokenizers.md has the details.";

struct TextOptions {
  std::string tokenizer;
  std::string input = "-";
  bool skip_special = false;
};


int Finish(CommandContext& ctx, const absl::Status& st) {
  ctx.out() << std::flush;
  if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
  if (!ctx.out()) return data::Fail(ctx, absl::InternalError("writing the output failed"), kExitFailed);
  return kExitOk;
}

int RunEncode(CommandContext& ctx, const TextOptions& o) {
  auto tokenizer = common::text::LoadTokenizer(o.tokenizer);
  if (!tokenizer.ok()) return data::Fail(ctx, tokenizer.status(), kExitInvalidArgument);
  std::string out;
  const absl::Status st = ForEachInputLine(o.input, [&](const std::string& line, int64_t n) -> absl::Status {
    auto ids = (*tokenizer)->Encode(line);
    if (!ids.ok()) return absl::InvalidArgumentError(absl::StrCat(InputLineName(o.input, n), ": ", ids.status().message()));
    out.assign("[");
    for (size_t i = 0; i < ids->size(); ++i) absl::StrAppend(&out, i ? "," : "", (*ids)[i]);
    out += "]\n";
    ctx.out() << out;
    return absl::OkStatus();
  });
  return Finish(ctx, st);
}

int RunDecode(CommandContext& ctx, const TextOptions& o) {
  auto tokenizer = common::text::LoadTokenizer(o.tokenizer);
  if (!tokenizer.ok()) return data::Fail(ctx, tokenizer.status(), kExitInvalidArgument);
  std::vector<int32_t> ids;
  const absl::Status st = ForEachInputLine(o.input, [&](const std::string& line, int64_t n) -> absl::Status {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_array()) return absl::InvalidArgumentError(absl::StrCat(InputLineName(o.input, n), ": expected a JSON array of token ids"));
    ids.clear();
    for (const auto& v : j) {
      if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) {
        return absl::InvalidArgumentError(absl::StrCat(InputLineName(o.input, n), ": ", v.dump(), " is not an integer token id"));
      }
      ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    auto text = (*tokenizer)->Decode(ids, o.skip_special);
    if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat(InputLineName(o.input, n), ": ", text.status().message()));
    ctx.out() << *text << "\n";
    return absl::OkStatus();
  });
  return Finish(ctx, st);
}

}  // namespace

void AddTextCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* text = app.add_subcommand("text", "LLM text tokenizers: encode and decode lines, train a BPE tokenizer (no coordinator)");
  text->require_subcommand(1);

  auto e = std::make_shared<TextOptions>();
  CLI::App* encode = text->add_subcommand("encode", "Lines of text -> one JSON array of token ids per line");
  encode->add_option("--tokenizer", e->tokenizer, "tokenizer.json, its directory, or a directory with vocab.json + merges.txt")
      ->required();
  encode->add_option("--input", e->input, "File of text lines ('-': stdin)");
  encode->footer(kFooter);
  encode->callback([&ctx, action, e] { *action = [&ctx, e] { return RunEncode(ctx, *e); }; });

  auto d = std::make_shared<TextOptions>();
  CLI::App* decode = text->add_subcommand("decode", "JSON arrays of token ids (one per line) -> text, one line each");
  decode->add_option("--tokenizer", d->tokenizer, "tokenizer.json, its directory, or a directory with vocab.json + merges.txt")
      ->required();
  decode->add_option("--input", d->input, "File of id arrays, one per line ('-': stdin)");
  decode->add_flag("--skip-special", d->skip_special, "Leave special tokens (e.g. <|eot_id|>) out of the text");
  decode->footer(kFooter);
  decode->callback([&ctx, action, d] { *action = [&ctx, d] { return RunDecode(ctx, *d); }; });

  AddTextTrainCommand(text, ctx, action);
}

}  // namespace ecgbench::client
