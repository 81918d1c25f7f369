// libFuzzer target for the ECG-Byte tokenizer file loader: any input must parse or fail cleanly;
// a file that parses must write back to text that parses to the same merges, and both encoders
// must round-trip a symbol string derived from the input. Built and run by run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/repr/ecg_byte/tokenizer_file.h"

using ecgbench::common::repr::EncodeMode;
using ecgbench::common::repr::ParseTokenizer;
using ecgbench::common::repr::TokenizerToJson;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto file = ParseTokenizer(text, "fuzz.json");
  if (!file.ok()) {
    if (file.status().message().substr(0, 11) != "fuzz.json: ") __builtin_trap();  // errors name the file
    return 0;
  }
  auto again = ParseTokenizer(TokenizerToJson(file->tokenizer, file->training), "again.json");
  if (!again.ok() || !(again->tokenizer.merges() == file->tokenizer.merges())) __builtin_trap();
  std::string symbols;
  for (size_t i = 0; i < size && symbols.size() < 512; ++i) symbols.push_back(static_cast<char>('a' + data[i] % 4));
  for (EncodeMode mode : {EncodeMode::kLongestMatch, EncodeMode::kMergeRank}) {
    auto ids = file->tokenizer.Encode(symbols, mode);
    if (!ids.ok()) __builtin_trap();
    auto back = file->tokenizer.Decode(*ids);
    if (!back.ok() || *back != symbols) __builtin_trap();
  }
  return 0;
}
