// libFuzzer target for the HF tokenizer.json loader: the text goes through LoadTokenizerJson (what
// LoadTokenizer does with a tokenizer.json file: byte-level BPE, SentencePiece-style BPE or
// WordPiece). Any input must load or fail cleanly with a message naming the file; a tokenizer that
// loads must encode sample texts (special tokens included) into ids below vocab_size() and decode
// those ids again. Built and run by run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<ecgbench::common::text::Tokenizer>> t =
      ecgbench::common::text::LoadTokenizerJson(text, "fuzz.json");
  if (!t.ok()) {
    if (t.status().message().substr(0, 11) != "fuzz.json: ") __builtin_trap();  // errors name the file
    return 0;
  }
  const ecgbench::common::text::Tokenizer& tok = **t;
  static const char* const kSamples[] = {"",
                                         "a",
                                         "Hello, world! 123",
                                         "  two  spaces\n\ttab",
                                         "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
                                         "<|endoftext|><s></s>[CLS][UNK]",
                                         "ab abab ba"};
  for (const char* sample : kSamples) {
    absl::StatusOr<std::vector<int32_t>> ids = tok.Encode(sample);
    if (!ids.ok()) __builtin_trap();  // valid UTF-8 always encodes
    for (int32_t id : *ids) {
      if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
    }
    if (!tok.Decode(*ids).ok() || !tok.Decode(*ids, /*skip_special=*/true).ok()) __builtin_trap();
  }
  return 0;
}
