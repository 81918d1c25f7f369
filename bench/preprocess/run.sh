#!/usr/bin/env bash
# bench/preprocess: records per second through read -> (filters) -> resample -> segment -> write for
# PTB-XL-layout 12-lead 10 s 500 Hz records, side by side in one script with
#   (a) the Python reference (numpy + scipy interp1d cubic + filtfilt + PyWavelets, upstream's steps),
#   (b) a raw-I/O floor (read the input bytes, write the output bytes, nothing else).
# Per core: records per CPU-second (user + system time of the process), which a busy machine does
# not distort the way wall time does; C++ on one thread. Against the floor: wall-clock records/s of
# C++ on all cores (--threads $(nproc)) and of the floor (one sequential reader/writer).
# Usage: bench/preprocess/run.sh [BUILD_DIR] [RECORDS] [PY_RECORDS]. Last line: RESULT with ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
RECORDS=${2:-2000}
PY_RECORDS=${3:-60}
ECGBENCH="$BUILD_DIR/bin/ecgbench"
[ -x "$ECGBENCH" ] || { echo "missing $ECGBENCH: build first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ECGBENCH" data synth --layout ptbxl --out "$work/ptbxl" --records "$RECORDS" --seed 1 >/dev/null
CORES=$(nproc)

# $1 filters, $2 threads, $3 output; prints "wall_rps cpu_rps" (the whole command: process start,
# catalog, store finish with checksums and fsync).
run_cpp() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$ECGBENCH" data preprocess --dataset ptbxl --root "$work/ptbxl" \
      --out "$3" --segment-len 1250 --filters "$1" --threads "$2" >/dev/null
  rm -rf "$3"
  awk -v n="$RECORDS" '{ printf "%.1f %.1f\n", n / $1, n / ($2 + $3) }' "$work/time"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
py() { /usr/bin/python3 bench/preprocess/reference.py --root "$work/ptbxl" --out "$work/py-$1" --filters "$1" \
         --limit "$PY_RECORDS"; }

cat "$work/ptbxl"/records500/*/*.dat >/dev/null  # warm the page cache for every contender
read -r _ cpp_none < <(run_cpp none 1 "$work/cpp-none")
read -r _ cpp_paper < <(run_cpp paper 1 "$work/cpp-paper")
read -r cpp_all_wall _ < <(run_cpp none "$CORES" "$work/cpp-all")
py_none=$(py none | field records_per_cpu_s)
py_paper=$(py paper | field records_per_cpu_s)
floor_out=$(/usr/bin/python3 bench/preprocess/io_floor.py --root "$work/ptbxl" --out "$work/floor")
floor_wall=$(echo "$floor_out" | field records_per_s)
floor_cpu=$(echo "$floor_out" | field records_per_cpu_s)
echo "records: C++ $RECORDS, Python $PY_RECORDS (10 s, 12 leads, 500 Hz -> 250 Hz, 1250-sample segments)"
echo "records per CPU-second (1 core): C++ none $cpp_none, C++ paper $cpp_paper, Python none $py_none," \
     "Python paper $py_paper, I/O floor $floor_cpu"
echo "wall-clock records/s: C++ none on $CORES cores $cpp_all_wall, I/O floor $floor_wall"
awk -v cn="$cpp_none" -v cp="$cpp_paper" -v pn="$py_none" -v pp="$py_paper" -v fc="$floor_cpu" \
    -v ca="$cpp_all_wall" -v fw="$floor_wall" -v cores="$CORES" 'BEGIN {
  printf "RESULT cpp_over_python_none=%.1f cpp_over_python_paper=%.1f floor_over_cpp_none_1core=%.2f floor_over_cpp_none_allcores=%.2f cores=%d cpp_none_rps=%.1f cpp_paper_rps=%.1f\n",
    cn / pn, cp / pp, fc / cn, fw / ca, cores, cn, cp }'
