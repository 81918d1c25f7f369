#!/usr/bin/env bash
# bench/llm: LLM decode and training speed, our LibTorch decoder (ecgbench_llm_bench, llm_bench.cc)
# vs the same model in plain Python torch (reference_llama.py: tests/unit/worker/nn/reference_decoder.py
# with its torch.cat KV cache, as transformers' DynamicCache), Debian's python3-torch 1.13 and the
# project's LibTorch 1.13 (the same libtorch_cpu), same intra-op and BLAS thread count on both sides.
# For a ~20 M and a ~120 M parameter Llama config (random fp32 weights, seeded; written once as
# safetensors by the C++ program and loaded by both sides):
#   decode  tokens/s at batch 1 and 8 with the KV cache: prefill 32 tokens, STEPS greedy steps, only
#           the steps timed
#   train   one forward + backward, batch 4 x 128 tokens, cross-entropy on shifted labels, no optimizer
# Each figure: median of REPS repetitions after a warm-up. Both sides also print the training loss
# and a hash of their batch-8 greedy tokens (same model, same inputs: they should agree).
# Usage: bench/llm/run.sh [BUILD_DIR] [STEPS] [REPS] [THREADS]   (SIZES="20m 120m" by default)
# Last line: RESULT with C++ speed / Python speed per size (> 1: C++ faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
STEPS=${2:-64}
REPS=${3:-3}
THREADS=${4:-$(nproc)}
SIZES=${SIZES:-20m 120m}
# LibTorch's GEMMs go to the system BLAS (Debian: BLIS or OpenBLAS through the libblas.so.3
# alternative), whose thread count at::set_num_threads does not set: give it the same T.
export BLIS_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
BENCH="$BUILD_DIR/bin/ecgbench_llm_bench"
[ -x "$BENCH" ] || { echo "missing $BENCH: build the ecgbench_llm_bench target first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { sed -n "s/.*$1=\([0-9.e+-]*\).*/\1/p"; }
echo "threads $THREADS (torch and BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || echo unknown)), prefill 32, decode steps $STEPS, reps $REPS (median after a warm-up)"
printf '%-5s %-7s %12s %12s %12s %10s %s %s\n' size side params b1_tok/s b8_tok/s train_s loss greedy_hash
result="RESULT"
for size in $SIZES; do
  cpp=$("$BENCH" --size "$size" --dir "$work/$size" --threads "$THREADS" --steps "$STEPS" --reps "$REPS")
  py=$(/usr/bin/python3 bench/llm/reference_llama.py "$work/$size" --threads "$THREADS" --steps "$STEPS" --reps "$REPS")
  for side in C++ Python; do
    line=$cpp; [ "$side" = Python ] && line=$py
    printf '%-5s %-7s %12s %12s %12s %10s %s %s\n' "$size" "$side" "$(echo "$line" | field params)" \
      "$(echo "$line" | field decode_b1_tok_s)" "$(echo "$line" | field decode_b8_tok_s)" \
      "$(echo "$line" | field train_step_s)" "$(echo "$line" | field loss)" "$(echo "$line" | field greedy)"
  done
  same=yes
  [ "$(echo "$cpp" | field greedy)" = "$(echo "$py" | field greedy)" ] || same=no
  ratios=$(awk -v cb1="$(echo "$cpp" | field decode_b1_tok_s)" -v pb1="$(echo "$py" | field decode_b1_tok_s)" \
               -v cb8="$(echo "$cpp" | field decode_b8_tok_s)" -v pb8="$(echo "$py" | field decode_b8_tok_s)" \
               -v ct="$(echo "$cpp" | field train_step_s)" -v pt="$(echo "$py" | field train_step_s)" \
               -v cl="$(echo "$cpp" | field loss)" -v pl="$(echo "$py" | field loss)" -v s="$size" 'BEGIN {
    d = cl - pl; if (d < 0) d = -d
    printf "decode_b1_ratio_%s=%.2f decode_b8_ratio_%s=%.2f train_step_ratio_%s=%.2f loss_diff_%s=%.2g",
      s, cb1 / pb1, s, cb8 / pb8, s, pt / ct, s, d }')
  echo "$size: greedy tokens identical: $same; $ratios"
  result="$result $ratios greedy_same_$size=$same"
done
echo "$result threads=$THREADS steps=$STEPS"
