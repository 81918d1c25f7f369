#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_safetensors_header with clang (-fsanitize=fuzzer,address,undefined),
# compiling the header parser, the writer and the JSON adapter directly (they need only Abseil and
# nlohmann-json), writes a seed corpus (small valid files and the safetensors files of the bad-input
# corpus, tests/data/bad), and runs it for SECONDS (default 10). Exits non-zero when it
# finds a crash, a sanitizer report or a broken round-trip property; the reproducer is left in OUT_DIR.
# Usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]      (CXX_FUZZ overrides the compiler, default clang++)
set -euo pipefail
src=${1:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
out=${2:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
secs=${3:-10}
cxx=${CXX_FUZZ:-clang++}
here="$src/tests/unit/model_io"
lib="$src/common/model_io"
mkdir -p "$out"

read -r -a link <<<"$(pkg-config --cflags --libs absl_strings absl_status absl_statusor)"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
source "$src/tests/unit/testing/fuzz_lib.sh"
fuzz_build fuzz_safetensors_header "$(echo "$lib"/*.h) $src/common/util/json.h" \
  "$here/fuzz_safetensors_header.cc" "$lib/safetensors_header.cc" "$lib/safetensors_writer.cc" "$lib/dtype.cc" \
  "$src/common/util/json.cc"

# Seed corpus: small valid files (8-byte little-endian length, JSON header, data).
seeds="$out/corpus"
mkdir -p "$seeds"
seed() {  # seed NAME JSON DATA_BYTES(printf format)
  local json=$2 len
  len=${#json}
  { printf "$(printf '\\x%02x' $((len & 255)) $(((len >> 8) & 255)))\\x00\\x00\\x00\\x00\\x00\\x00"
    printf '%s' "$json"; printf "$3"; } >"$seeds/$1"
}
seed f32 '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' '\x00\x00\x80\x3f\x00\x00\x00\xc0'
seed mixed '{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[3],"data_offsets":[4,7]},"e":{"dtype":"I64","shape":[0],"data_offsets":[7,7]}}' '\x80\x3f\x00\x40\x01\x02\x03'
seed scalar '{"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}      ' '\x2a\x00\x00\x00\x00\x00\x00\x00'
seed empty '{}' ''
fuzz_seed_bad_corpus
for f in "$out"/bad/safetensors/*.safetensors "$out"/bad/checkpoint/*/tensors.safetensors; do
  cp "$f" "$seeds/bad_$(basename "$(dirname "$f")")_$(basename "$f")"
done

fuzz_run fuzz_safetensors_header "$seeds"
