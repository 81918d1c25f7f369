#!/usr/bin/env bash
# bench/ecg-byte: ECG-Byte BPE training and encoding, ours vs SentencePiece (Debian package
# sentencepiece: spm_train / spm_encode), side by side on the same corpus:
#   corpus   RECORDS synthetic PTB-XL records (10 s) -> `data preprocess --segment-len 2500` (250 Hz)
#            -> one 10 s segment each -> min-max normalized, symbolized: 12 x 2500 = 30,000 symbols a
#            line (RECORDS = 2000: 60 M symbols)
#   train    MERGES merges, one thread each: `ecgbench tokenizer train --threads 1` vs `spm_train
#            --model_type=bpe --split_by_whitespace=false --num_threads=1` with
#            vocab_size = MERGES + 26 symbols + 3 meta pieces (<unk>, <s>, </s>), so that SentencePiece
#            performs MERGES merges too (checked from its .vocab after training)
#   encode   the whole corpus, one core each: `ecgbench tokenizer encode` (ids as JSON lines) vs
#            `spm_encode --output_format=id`, output to /dev/null (wall clock of both processes),
#            and our encoding time alone (--timing: no I/O) for the symbols/s figure
# Usage: bench/ecg-byte/run.sh [BUILD_DIR] [RECORDS] [MERGES]. Last line: RESULT with the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
RECORDS=${2:-2000}
MERGES=${3:-6000}
ECGBENCH="$BUILD_DIR/bin/ecgbench"
[ -x "$ECGBENCH" ] || { echo "missing $ECGBENCH: build first" >&2; exit 1; }
command -v spm_train >/dev/null || { echo "missing spm_train (apt-get install sentencepiece)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

"$ECGBENCH" data synth --layout ptbxl --out "$work/ptbxl" --records "$RECORDS" --seed 1 --no-ecgqa >/dev/null
"$ECGBENCH" data preprocess --dataset ptbxl --root "$work/ptbxl" --out "$work/store" --segment-len 2500 >/dev/null
"$ECGBENCH" tokenizer symbols --store "$work/store" -o "$work/corpus.txt"
lines=$(wc -l <"$work/corpus.txt")
symbols=$(awk '{ n += length($0) } END { print n }' "$work/corpus.txt")
echo "corpus: $lines segments, $symbols symbols"

# --- training -----------------------------------------------------------------------------------
s=$(now)
"$ECGBENCH" tokenizer train --store "$work/store" --merges "$MERGES" --threads 1 -o "$work/tok.json" --json \
  >"$work/train.json"
e=$(now)
ours_train=$(secs "$s" "$e")
ours_core=$(sed -n 's/.*"train_seconds": \([0-9.e+-]*\).*/\1/p' "$work/train.json")
ours_merges=$(sed -n 's/.*"num_merges": \([0-9]*\).*/\1/p' "$work/train.json")

vocab=$((MERGES + 26 + 3))
s=$(now)
spm_train --input="$work/corpus.txt" --model_prefix="$work/spm" --model_type=bpe --vocab_size="$vocab" \
  --character_coverage=1.0 --split_by_whitespace=false --add_dummy_prefix=false \
  --normalization_rule_name=identity --max_sentence_length=40000 --max_sentencepiece_length=512 \
  --input_sentence_size=0 --num_threads=1 >"$work/spm_train.log" 2>&1
e=$(now)
spm_train_s=$(secs "$s" "$e")
spm_merges=$(($(wc -l <"$work/spm.vocab") - 26 - 3))
echo "train ($MERGES merges, 1 thread): ours ${ours_train} s wall (${ours_core} s in the trainer, $ours_merges merges)," \
     "spm_train ${spm_train_s} s wall ($spm_merges merges)"

# --- encoding -----------------------------------------------------------------------------------
s=$(now)
"$ECGBENCH" tokenizer encode --tokenizer "$work/tok.json" --input "$work/corpus.txt" --timing \
  >/dev/null 2>"$work/encode.log"
e=$(now)
ours_enc=$(secs "$s" "$e")
ours_msym=$(sed -n 's/.*(\([0-9.]*\) M symbols\/s.*/\1/p' "$work/encode.log")
s=$(now)
spm_encode --model="$work/spm.model" --output_format=id <"$work/corpus.txt" >/dev/null
e=$(now)
spm_enc=$(secs "$s" "$e")
"$ECGBENCH" tokenizer encode --tokenizer "$work/tok.json" --input "$work/corpus.txt" --mode rank --timing \
  >/dev/null 2>"$work/encode_rank.log"
rank_msym=$(sed -n 's/.*(\([0-9.]*\) M symbols\/s.*/\1/p' "$work/encode_rank.log")
echo "encode ($symbols symbols, 1 core): ours ${ours_enc} s wall (longest match alone: ${ours_msym} M symbols/s;" \
     "merge-rank alone: ${rank_msym} M symbols/s), spm_encode ${spm_enc} s wall"
"$ECGBENCH" tokenizer stats --tokenizer "$work/tok.json" --store "$work/store" --samples 200 | tail -n 2

awk -v ot="$ours_train" -v st="$spm_train_s" -v oe="$ours_enc" -v se="$spm_enc" -v m="$ours_msym" 'BEGIN {
  printf "RESULT train_speedup=%.2f encode_speedup=%.2f encode_msym_per_s=%.1f\n", st / ot, se / oe, m }'
