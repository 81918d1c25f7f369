#!/usr/bin/env bash
# bench/score: are the C++ metrics >= 20x faster than the Python upstream ECG-Bench uses? BLEU
# (corpus and effective-order sentence BLEU), ROUGE-1/2/L and METEOR over PAIRS generated
# report-like (reference, prediction) pairs: `ecgbench score` (end to end: process start, JSONL,
# WordNet load, scoring; best of REPEATS, all cores and one thread) against NLTK 3.8 + the `rouge`
# 1.0.1 reference (tests/unit/eval/rouge_reference.py), timed around the metric calls only. The
# values of both sides are compared too (bench.py).
# Usage: bench/score/run.sh [BUILD_DIR] [PAIRS] [REPEATS]   (needs python3-nltk, python3-numpy,
#        wordnet-base)
# Last line: RESULT pairs=... cpp_s=... cpp_1thread_s=... python_s=... ratio=... ratio_1thread=...
#            ratio_bleu=... ratio_rouge=... ratio_meteor=... max_bleu_diff=... ... target_20x_met=0|1
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
PAIRS=${2:-100000}
REPEATS=${3:-3}
BIN="$BUILD_DIR/bin/ecgbench"
[ -x "$BIN" ] || { echo "missing $BIN: build the ecgbench target first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores; $(/usr/bin/python3 -c 'import nltk; print("nltk", nltk.__version__)')"
/usr/bin/python3 bench/score/bench.py "$BIN" --pairs "$PAIRS" --repeats "$REPEATS" --workdir "$work"
