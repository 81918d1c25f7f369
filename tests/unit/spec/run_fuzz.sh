#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_spec with clang (-fsanitize=fuzzer,address,undefined), compiling
# the spec library's sources directly (they need only Abseil, nlohmann-json and the system
# yaml-cpp), seeds it with the shipped configs and the bad-input corpus (tests/data/bad/spec) and
# runs it for SECONDS (default 10). Exits non-zero when it finds a crash, a sanitizer report, a
# timeout or a broken property; the reproducer is left in OUT_DIR.
# Usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]      (CXX_FUZZ overrides the compiler, default clang++)
set -euo pipefail
src=${1:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
out=${2:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
secs=${3:-10}
cxx=${CXX_FUZZ:-clang++}
here="$src/tests/unit/spec"
lib="$src/common/spec"
mkdir -p "$out"

read -r -a link <<<"$(pkg-config --cflags --libs yaml-cpp absl_strings absl_status absl_statusor absl_raw_hash_set absl_hash)"
link+=(-lpthread)
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
source "$src/tests/unit/testing/fuzz_lib.sh"
fuzz_build fuzz_spec "$(echo "$lib"/*.h) $src/common/ecg/formats/utf8.h" "$here/fuzz_spec.cc" "$lib"/*.cc \
  "$src/common/ecg/formats/utf8.cc"

# Seed corpus: the shipped specs and the bad ones (the fuzzer adds what it finds next to them).
seeds="$out/corpus"
mkdir -p "$seeds"
cp "$src/configs/quickstart.yaml" "$src"/configs/paper/*.yaml "$src"/tests/data/bad/spec/*.yaml "$seeds/"
printf 'name: t\nprobe: {ranks: 2, shards: 3}\nmatrix:\n  probe.ranks: [1, 2]\n' >"$seeds/matrix.yaml"

fuzz_max_len=8192
fuzz_run fuzz_spec "$seeds"
