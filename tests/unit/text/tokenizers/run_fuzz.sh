#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_tokenizer_json with clang (-fsanitize=fuzzer,address,undefined),
# compiling the tokenizer sources and the util files they need directly (Abseil and nlohmann-json
# only), seeds it with small valid tokenizer.json files of each kind and the bad-input corpus
# (tests/data/bad/tokenizer) and runs it for SECONDS (default 10). Exits non-zero when it finds a
# crash, a sanitizer report, a timeout or a broken property; the reproducer is left in OUT_DIR.
# Usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]      (CXX_FUZZ overrides the compiler, default clang++)
set -euo pipefail
src=${1:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
out=${2:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
secs=${3:-10}
cxx=${CXX_FUZZ:-clang++}
here="$src/tests/unit/text/tokenizers"
lib="$src/common/text/tokenizers"
mkdir -p "$out"

read -r -a link <<<"$(pkg-config --cflags --libs absl_strings absl_status absl_statusor absl_str_format absl_raw_hash_set absl_hash)"
link+=(-lpthread)
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
source "$src/tests/unit/testing/fuzz_lib.sh"
fuzz_build fuzz_tokenizer_json "$(echo "$lib"/*.h "$lib"/*.inc) $src/common/text/tokenizer.h" \
  "$here/fuzz_tokenizer_json.cc" "$lib"/*.cc "$src/common/util/json.cc" "$src/common/util/files.cc"

# Seed corpus: one small file per tokenizer kind, and the bad ones (the fuzzer adds what it finds).
seeds="$out/corpus"
mkdir -p "$seeds"
cp "$src"/tests/data/bad/tokenizer/*.json "$seeds/"
python3 - "$seeds" <<'PY'
import json, sys
out = sys.argv[1]
# GPT-2's byte-to-unicode map: every byte has a printable stand-in.
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
byte_vocab = {chr(c): i for i, c in enumerate(cs)}
byte_vocab.update({"ab": 256, "Ġa": 257, "<|endoftext|>": 258})
def dump(name, doc):
    with open(f"{out}/{name}", "w") as f:
        json.dump(doc, f)
dump("seed_byte_level.json", {
    "model": {"type": "BPE", "vocab": byte_vocab, "merges": ["a b", "Ġ a"]},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
    "decoder": {"type": "ByteLevel"},
    "added_tokens": [{"id": 258, "content": "<|endoftext|>", "special": True}]})
sp_vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
sp_vocab.update({f"<0x{b:02X}>": 3 + b for b in range(256)})
sp_vocab.update({"\u2581": 259, "a": 260, "b": 261, "ab": 262, "\u2581ab": 263})
dump("seed_sentencepiece.json", {
    "model": {"type": "BPE", "vocab": sp_vocab, "merges": ["a b", "\u2581 ab"], "unk_token": "<unk>",
              "byte_fallback": True, "fuse_unk": True},
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": None,
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                  {"type": "ByteFallback"}, {"type": "Fuse"},
                                                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "added_tokens": [{"id": 1, "content": "<s>", "special": True}, {"id": 2, "content": "</s>", "special": True}]})
dump("seed_wordpiece.json", {
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                   "strip_accents": None, "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100,
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, "a": 7, "b": 8}},
    "added_tokens": [{"id": 2, "content": "[CLS]", "special": True}, {"id": 3, "content": "[SEP]", "special": True}]})
PY

fuzz_run fuzz_tokenizer_json "$seeds"
