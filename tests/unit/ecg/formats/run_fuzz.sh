#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz_wfdb_header and fuzz_csv with clang (-fsanitize=fuzzer,address,
# undefined), compiling the parser sources directly (they need only Abseil), writes a seed corpus
# (small valid files and the bad-input corpus, tests/data/bad) and runs each target for SECONDS
# (default 10). Exits non-zero when a target finds a crash, a sanitizer report or a broken
# round-trip property; the reproducer is left in OUT_DIR. TARGET names limit the run to those
# targets (ctest runs one per test, in parallel, each with its own OUT_DIR).
# Usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS [TARGET...]]   (CXX_FUZZ overrides the compiler, default clang++)
set -euo pipefail
src=${1:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
out=${2:?usage: run_fuzz.sh SRC_ROOT OUT_DIR [SECONDS]}
secs=${3:-10}
targets="${*:4}"
cxx=${CXX_FUZZ:-clang++}
here="$src/tests/unit/ecg/formats"
formats="$src/common/ecg/formats"
mkdir -p "$out"

read -r -a link <<<"$(pkg-config --cflags --libs absl_strings absl_status absl_statusor)"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
source "$src/tests/unit/testing/fuzz_lib.sh"
watched="$(echo "$formats"/*.h) $src/common/util/status_macros.h"
# Seed corpora (the fuzzer adds what it finds next to them): small valid files and the bad-input
# corpus (every .hea; every catalog CSV behind a first byte of 1: header, commas).
fuzz_seed_bad_corpus
status=0
if fuzz_wanted fuzz_wfdb_header; then
  fuzz_build fuzz_wfdb_header "$watched" "$here/fuzz_wfdb_header.cc" "$formats/wfdb_header.cc" "$formats/utf8.cc"
  seeds="$out/corpus_hea"
  mkdir -p "$seeds"
  printf '00001_hr 12 500 5000\n00001_hr.dat 16 1000(0)/mV 16 0 -119 1508 0 I\n00001_hr.dat 16 1000(0)/mV 16 0 -55 723 0 II\n' >"$seeds/ptbxl.hea"
  printf 'A0001 2 500 7500 05-Feb-2020 11:39:16\nA0001.mat 16+24 1000/mV 16 0 28 -1716 0 I\nA0001.mat 16+24 1000/mV 16 0 7 2029 0 II\n#Age: 74\n#Sex: Male\n#Dx: 59118001\n' >"$seeds/cinc.hea"
  printf '100 2 360/720(0) 650000 12:00:00 01/01/2000\n100.dat 212x1:0 200(1024)/mV 11 1024 995 -22131 0 MLII\n100.dat 212 200 11 1024 1011 20052 0 V5\n' >"$seeds/mitdb.hea"
  for f in "$out"/bad/wfdb/*/*.hea; do cp "$f" "$seeds/bad_$(basename "$(dirname "$f")").hea"; done
  fuzz_run fuzz_wfdb_header "$seeds" || status=1
fi
if fuzz_wanted fuzz_csv; then
  fuzz_build fuzz_csv "$watched" "$here/fuzz_csv.cc" "$formats/csv_reader.cc" "$formats/utf8.cc"
  seeds="$out/corpus_csv"
  mkdir -p "$seeds"
  printf '\001ecg_id,patient_id,report,scp_codes\n1,15709.0,"sinus, normal","{\x27NORM\x27: 100.0}"\r\n2,13243.0,"multi\nline ""quoted""",{}\n' >"$seeds/ptbxl.csv"
  printf '\0001,2,3\n"a""b",,\n\n' >"$seeds/plain.csv"
  printf '\003a;b\n"x;y";z\n' >"$seeds/semicolon.csv"
  for f in "$out"/bad/csv/*/*.csv; do
    { printf '\001'; cat "$f"; } >"$seeds/bad_$(basename "$(dirname "$f")")_$(basename "$f")"
  done
  fuzz_run fuzz_csv "$seeds" || status=1
fi
exit $status
