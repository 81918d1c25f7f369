#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_tokenizer_file with clang (-fsanitize=fuzzer,address,undefined),
# compiling the ECG-Byte sources and the two util files they need directly, writes a seed corpus
# (small valid files and the ECG-Byte files of the bad-input corpus, tests/data/bad) and
# runs the target for SECONDS (default 10). Exits non-zero when it finds a crash, a sanitizer report
# or a broken round-trip property; the reproducer is left in OUT_DIR.
# Usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]      (CXX_FUZZ overrides the compiler, default clang++)
set -euo pipefail
src=${1:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
out=${2:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
secs=${3:-10}
cxx=${CXX_FUZZ:-clang++}
here="$src/tests/unit/repr/ecg_byte"
lib="$src/common/repr/ecg_byte"
mkdir -p "$out"

read -r -a link <<<"$(pkg-config --cflags --libs absl_strings absl_status absl_statusor absl_str_format absl_raw_hash_set absl_hash)"
link+=(-lpthread)
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
source "$src/tests/unit/testing/fuzz_lib.sh"
fuzz_build fuzz_tokenizer_file "$(echo "$lib"/*.h)" \
  "$here/fuzz_tokenizer_file.cc" "$lib/symbols.cc" "$lib/bpe_trainer.cc" "$lib/ecg_byte_tokenizer.cc" \
  "$lib/tokenizer_file.cc" "$src/common/util/json.cc" "$src/common/util/files.cc"

# Seed corpus (the fuzzer adds what it finds next to it).
seeds="$out/corpus"
mkdir -p "$seeds"
head='"format": "ecgbench.ecg_byte", "version": 1, "alphabet": "abcdefghijklmnopqrstuvwxyz"'
printf '{%s, "vocab_size": 259, "num_merges": 3, "training": {"seed": 1}, "merges": [[97, 98], [256, 99], [256, 256]]}\n' "$head" >"$seeds/small.json"
printf '{%s, "merges": [[97, 97], [256, 256], [257, 257], [98, 258], [99, 259]]}\n' "$head" >"$seeds/doubling.json"
printf '{%s, "merges": [[97, 98], [256, 99], [98, 99], [97, 258]]}\n' "$head" >"$seeds/duplicate.json"
printf '{%s, "merges": []}\n' "$head" >"$seeds/empty.json"
cp "$src"/tests/data/bad/tokenizer/ecg_byte_*.json "$seeds/"  # the bad-input corpus's ECG-Byte files

fuzz_run fuzz_tokenizer_file "$seeds"
