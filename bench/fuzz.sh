#!/usr/bin/env bash
# bench/fuzz.sh: long runs of the project's libFuzzer targets (the tests run each for 30 s, ctest
# label "fuzz"). Builds every target with clang through the tests' run_fuzz.sh scripts, runs each
# for SECONDS (default 600) and keeps its corpus under DIR (default .ecgbench/fuzz, one folder per
# target), so that a later run starts from what earlier runs found. Reports per target the
# executions, the corpus size and the reproducers found in this run (crash-, timeout-, oom-,
# leak-, slow-unit- files); exits non-zero when any target failed. docs/fuzzing.md has the details.
#
# Usage: bench/fuzz.sh [-t SECONDS] [-o DIR] [-j JOBS] [TARGET...]
#   TARGET: wfdb_header csv safetensors_header ecg_byte_tokenizer spec tokenizer_json (default: all)
#   -j JOBS: targets run at the same time (default 1; each uses one core)
# Needs clang and libclang-rt-14-dev (scripts/install-deps.sh installs both), python3, pkg-config.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

secs=600
dir=.ecgbench/fuzz
parallel=1
while getopts "t:o:j:h" opt; do
  case $opt in
    t) secs=$OPTARG ;;
    o) dir=$OPTARG ;;
    j) parallel=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# target -> "script libFuzzer-binary [filter]": the script builds the binary and seeds the corpus.
declare -A script=(
  [wfdb_header]="tests/unit/ecg/formats/run_fuzz.sh fuzz_wfdb_header fuzz_wfdb_header"
  [csv]="tests/unit/ecg/formats/run_fuzz.sh fuzz_csv fuzz_csv"
  [safetensors_header]="tests/unit/model_io/run_fuzz.sh fuzz_safetensors_header"
  [ecg_byte_tokenizer]="tests/unit/repr/ecg_byte/run_fuzz.sh fuzz_tokenizer_file"
  [spec]="tests/unit/spec/run_fuzz.sh fuzz_spec"
  [tokenizer_json]="tests/unit/text/tokenizers/run_fuzz.sh fuzz_tokenizer_json"
)
all=(wfdb_header csv safetensors_header ecg_byte_tokenizer spec tokenizer_json)
targets=("$@")
(( ${#targets[@]} )) || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -n "${script[$t]:-}" ]] || { echo "unknown target '$t' (known: ${all[*]})" >&2; exit 2; }
done
command -v "${CXX_FUZZ:-clang++}" >/dev/null || { echo "missing ${CXX_FUZZ:-clang++}: bash scripts/install-deps.sh" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stamp="$dir/.started"
touch "$stamp"
echo "fuzzing ${targets[*]} for ${secs}s each (${parallel} at a time); corpora and logs under $dir"

run_one() {  # run_one TARGET: build, seed and run it; output to DIR/TARGET/run.log
  local t=$1 words
  read -r -a words <<<"${script[$t]}"
  mkdir -p "$dir/$t"
  "$src/${words[0]}" "$src" "$dir/$t" "$secs" "${words[@]:2}" >"$dir/$t/run.log" 2>&1
}

declare -A pid_of
status=0
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  run_one "$t" &
  pid_of[$t]=$!
done
declare -A rc_of
for t in "${targets[@]}"; do
  if wait "${pid_of[$t]}"; then rc_of[$t]=0; else rc_of[$t]=$?; status=1; fi
done

printf '\n%-20s %-6s %14s %8s  %s\n' TARGET RESULT EXECUTIONS CORPUS "REPRODUCERS (this run)"
for t in "${targets[@]}"; do
  read -r -a words <<<"${script[$t]}"
  name=${words[1]}
  log="$dir/$t/$name.log"
  execs=$(grep -ho 'stat::number_of_executed_units: [0-9]*' "$log" 2>/dev/null | tail -n 1 | awk '{print $2}')
  corpus=$(find "$dir/$t" -maxdepth 2 -path "*/corpus*/*" -type f 2>/dev/null | wc -l)
  found=$(find "$dir/$t" -maxdepth 1 -newer "$stamp" -type f \
            \( -name "$name-crash-*" -o -name "$name-timeout-*" -o -name "$name-oom-*" -o -name "$name-leak-*" \
               -o -name "$name-slow-unit-*" \) | sort | tr '\n' ' ')
  result=ok
  (( rc_of[$t] == 0 )) || result=FAILED
  printf '%-20s %-6s %14s %8s  %s\n' "$t" "$result" "${execs:-?}" "$corpus" "${found:--}"
  if [[ $result == FAILED ]]; then
    echo "  $t: see $dir/$t/run.log and $log; reproduce with: $dir/$t/$name REPRODUCER"
  fi
done
exit $status
