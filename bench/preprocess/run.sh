#!/usr/bin/env bash
# bench/preprocess: records per second through read -> (filters) -> resample -> segment -> write for
# PTB-XL-layout 12-lead 10 s 500 Hz records, per core, side by side in one script with
#   (a) the Python reference (numpy + scipy interp1d cubic + filtfilt + PyWavelets, upstream's steps),
#   (b) a raw-I/O floor (read the input bytes, write the output bytes, nothing else).
# Usage: bench/preprocess/run.sh [BUILD_DIR] [RECORDS] [PY_RECORDS]. Last line: RESULT with ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
RECORDS=${2:-400}
PY_RECORDS=${3:-60}
ECGBENCH="$BUILD_DIR/bin/ecgbench"
[ -x "$ECGBENCH" ] || { echo "missing $ECGBENCH: build first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ECGBENCH" data synth --layout ptbxl --out "$work/ptbxl" --records "$RECORDS" --seed 1 >/dev/null

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", n / (b - a) }'; }

run_cpp() {  # $1 = filters, $2 = output
  local s e
  s=$(now); "$ECGBENCH" data preprocess --dataset ptbxl --root "$work/ptbxl" --out "$2" --segment-len 1250 \
      --filters "$1" --threads 1 >/dev/null; e=$(now)
  rate "$RECORDS" "$s" "$e"
}
py_rate() { /usr/bin/python3 bench/preprocess/reference.py --root "$work/ptbxl" --out "$2" --filters "$1" \
              --limit "$PY_RECORDS" | sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p'; }

cpp_none=$(run_cpp none "$work/cpp-none")
cpp_paper=$(run_cpp paper "$work/cpp-paper")
py_none=$(py_rate none "$work/py-none")
py_paper=$(py_rate paper "$work/py-paper")
floor=$(/usr/bin/python3 bench/preprocess/io_floor.py --root "$work/ptbxl" --out "$work/floor" |
          sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p')
echo "records: C++ $RECORDS, Python $PY_RECORDS (10 s, 12 leads, 500 Hz -> 250 Hz, 1250-sample segments), 1 core each"
echo "records/s: C++ none $cpp_none, C++ paper $cpp_paper, Python none $py_none, Python paper $py_paper, I/O floor $floor"
awk -v cn="$cpp_none" -v cp="$cpp_paper" -v pn="$py_none" -v pp="$py_paper" -v f="$floor" 'BEGIN {
  printf "RESULT cpp_over_python_none=%.1f cpp_over_python_paper=%.1f floor_over_cpp_none=%.2f cpp_none_rps=%.1f cpp_paper_rps=%.1f\n",
    cn / pn, cp / pp, f / cn, cn, cp }'
