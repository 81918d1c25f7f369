// `ecgbench text train`: trains a byte-level BPE tokenizer (common/text/bpe_trainer.h) on text files
// or ECG-QA JSON and writes an HF tokenizer.json (docs/text-tokenizers.md, "Training a tokenizer").
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "client/commands/commands.h"
#include "client/commands/context.h"
#include "common/text/bpe_trainer.h"

namespace ecgbench::client {

// Adds `train` under the `text` command group (client/commands/text.cc).
void AddTextTrainCommand(CLI::App* text, CommandContext& ctx, Action* action);

// Feeds every string of the ECG-QA files behind `input` to *trainer: every `question` and every
// string of every `answer` list. `input` is an ECG-QA JSON file (an array of question objects) or
// a directory searched recursively for *.json files (in path order). InvalidArgument / NotFound
// naming the file and the element: "<file>: [3].question: missing or not a string". Adds the
// number of files read to *files.
absl::Status AddEcgQaInput(const std::string& input, common::text::BpeTrainer* trainer, int64_t* files);

}  // namespace ecgbench::client
