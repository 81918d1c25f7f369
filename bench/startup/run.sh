#!/usr/bin/env bash
# Start-up time of the CLI (`ecgbench --help`, no LibTorch) side by side with the worker
# (`ecgbench-worker --help`, links LibTorch) as the reference, interleaved in one loop so that
# machine noise hits both alike. Last line: RESULT with the medians and their ratio.
# Usage: bench/startup/run.sh [BUILD_DIR] [RUNS]
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${2:-30}
cli="$BUILD_DIR/bin/ecgbench"
worker="$BUILD_DIR/bin/ecgbench-worker"
for b in "$cli" "$worker" "$BUILD_DIR/bin/ecgbench-coordinator"; do
  [ -x "$b" ] || { echo "missing $b: build first (scripts/test.sh or cmake --build $BUILD_DIR)" >&2; exit 1; }
done
now_ns() { date +%s%N; }
declare -a t_cli t_worker t_coord
for ((i = 0; i < RUNS; i++)); do
  s=$(now_ns); "$cli" --help >/dev/null; e=$(now_ns); t_cli+=($(( (e - s) / 1000 )))
  s=$(now_ns); "$BUILD_DIR/bin/ecgbench-coordinator" --help >/dev/null; e=$(now_ns); t_coord+=($(( (e - s) / 1000 )))
  s=$(now_ns); "$worker" --help >/dev/null; e=$(now_ns); t_worker+=($(( (e - s) / 1000 )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_cli=$(median "${t_cli[@]}"); m_coord=$(median "${t_coord[@]}"); m_worker=$(median "${t_worker[@]}")
echo "runs=$RUNS median start-up: ecgbench ${m_cli} us, ecgbench-coordinator ${m_coord} us, ecgbench-worker (LibTorch) ${m_worker} us"
echo "shared libraries: ecgbench $(ldd "$cli" | wc -l), ecgbench-worker $(ldd "$worker" | wc -l)"
awk -v c="$m_cli" -v o="$m_coord" -v w="$m_worker" 'BEGIN {
  printf "RESULT cli_ms=%.1f coordinator_ms=%.1f worker_ms=%.1f worker_over_cli=%.1f\n", c/1000, o/1000, w/1000, w/c }'
