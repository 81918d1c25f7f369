#!/usr/bin/env bash
# bench/train: ELM training-step throughput (samples/s), our LibTorch ELMs (ecgbench_train_bench,
# train_bench.cc: worker/nn Elm + LoRA, worker/train Optimizer) vs the same model, data and update
# in plain Python torch (reference_train.py: tests/unit/worker/nn/reference_decoder.py's Llama with
# PEFT's LoRA math, torch.optim.AdamW, clip_grad_norm_), Debian's python3-torch 1.13 and the
# project's LibTorch 1.13 (the same libtorch_cpu), fp32, same intra-op and BLAS thread count.
# Model: the 20m Llama config of bench/llm (seeded random weights written once as safetensors by
# the C++ program, loaded by both sides). Data: K = 4 fixed seeded batches of B x L (written by the
# C++ program, read by both), left-padded (~20% padding), labels on the last 25% of each row.
# ELMs: ef (encoder-free: signal [B, 12, 1250] -> Linear(15000 -> 384) at one placeholder per row)
# and byte (ECG-Byte: ECG symbols as ids). Regimes: lora (r 16, alpha 32, q k v o gate up down;
# + the projection) and full (every weight + the projection).
# One step: forward + assistant-only cross-entropy + backward + clip_grad_norm 1.0 + AdamW (betas
# 0.9 / 0.99, wd 0.01). Figures: median of STEPS steps after WARMUP steps; each side runs REPEATS
# times, interleaved with the others, and its fastest repetition counts (shared machines: a burst
# of load from elsewhere slows one repetition, not the figure). The Python side comes in two
# variants: the loss as transformers computes it (logits at every position, `all`; the reference
# for the ratio) and with logits only at the labeled positions as our Elm::Loss does (`labeled`).
# Both sides print every step's loss: the first (before any update) must agree to 1e-5
# (same_model_*=yes); the last one (after the updates) is reported too.
# Usage: bench/train/run.sh [BUILD_DIR] [STEPS=5] [WARMUP=2] [THREADS=nproc]
#        (LENGTHS="256" BATCH=8 KINDS="ef byte" REGIMES="lora full" REPEATS=2 by default)
# Last line: RESULT with C++ samples/s / Python samples/s per ELM, regime and length (> 1: C++ faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
STEPS=${2:-5}
WARMUP=${3:-2}
THREADS=${4:-$(nproc)}
LENGTHS=${LENGTHS:-256}
BATCH=${BATCH:-8}
KINDS=${KINDS:-ef byte}
REGIMES=${REGIMES:-lora full}
REPEATS=${REPEATS:-2}
# LibTorch's GEMMs go to the system BLAS (Debian: BLIS or OpenBLAS through the libblas.so.3
# alternative), whose thread count at::set_num_threads does not set: give it the same T.
export BLIS_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
BENCH="$BUILD_DIR/bin/ecgbench_train_bench"
[ -x "$BENCH" ] || { echo "missing $BENCH: build the ecgbench_train_bench target first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { sed -n "s/.* $1=\([0-9.e+-]*\).*/\1/p"; }
# faster A B: whichever result line has the higher samples/s (B when A is empty).
faster() {
  if [ -z "$1" ] || awk -v a="$(echo "$1" | field samples_s)" -v b="$(echo "$2" | field samples_s)" 'BEGIN { exit !(b > a) }'
  then echo "$2"; else echo "$1"; fi
}
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || echo unknown)
echo "threads $THREADS (torch and BLAS: $blas), batch $BATCH," \
  "lengths $LENGTHS, $STEPS timed steps after $WARMUP warm-up (median), best of $REPEATS interleaved repetitions;" \
  "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-6s %-5s %-14s %10s %9s %8s %8s %8s %8s %8s %12s\n' elm regime L side trainable samples/s step_s fwd_s \
  bwd_s opt_s cpu_s loss_first
result="RESULT"
for length in $LENGTHS; do
  for kind in $KINDS; do
    for regime in $REGIMES; do
      common=(--kind "$kind" --regime "$regime" --threads "$THREADS" --batch "$BATCH" --length "$length"
              --steps "$STEPS" --warmup "$WARMUP")
      cpp="" py="" pyl=""
      for ((r = 0; r < REPEATS; ++r)); do  # interleaved; per side the fastest repetition is kept
        cpp=$(faster "$cpp" "$("$BENCH" --dir "$work" "${common[@]}")")
        py=$(faster "$py" "$(/usr/bin/python3 bench/train/reference_train.py "$work" "${common[@]}" --logits all)")
        pyl=$(faster "$pyl" "$(/usr/bin/python3 bench/train/reference_train.py "$work" "${common[@]}" --logits labeled)")
      done
      for side in C++ "Python all" "Python labeled"; do
        case $side in C++) line=$cpp ;; "Python all") line=$py ;; *) line=$pyl ;; esac
        printf '%-4s %-6s %-5s %-14s %10s %9s %8s %8s %8s %8s %8s %12s\n' "$kind" "$regime" "$length" "$side" \
          "$(echo "$line" | field trainable)" "$(echo "$line" | field samples_s)" "$(echo "$line" | field step_s)" \
          "$(echo "$line" | field fwd_s)" "$(echo "$line" | field bwd_s)" "$(echo "$line" | field opt_s)" \
          "$(echo "$line" | field cpu_s)" "$(echo "$line" | field loss_first)"
      done
      ratios=$(awk -v c="$(echo "$cpp" | field samples_s)" -v p="$(echo "$py" | field samples_s)" \
                   -v pl="$(echo "$pyl" | field samples_s)" -v cl="$(echo "$cpp" | field loss_first)" \
                   -v l1="$(echo "$py" | field loss_first)" -v l2="$(echo "$pyl" | field loss_first)" \
                   -v cn="$(echo "$cpp" | field loss_last)" -v pn="$(echo "$py" | field loss_last)" \
                   -v n="${kind}_${regime}_L${length}" 'BEGIN {
        d1 = cl - l1; if (d1 < 0) d1 = -d1
        d2 = cl - l2; if (d2 < 0) d2 = -d2
        if (d2 > d1) d1 = d2
        dn = cn - pn; if (dn < 0) dn = -dn
        printf "%s=%.2f %s_vs_labeled=%.2f loss_first_diff_%s=%.2g loss_last_diff_%s=%.2g same_model_%s=%s",
          n, c / p, n, c / pl, n, d1, n, dn, n, (d1 <= 1e-5 ? "yes" : "no") }')
      echo "$kind $regime L=$length: $ratios (load $(cut -d' ' -f1 /proc/loadavg))"
      result="$result $ratios"
    done
  done
done
echo "$result threads=$THREADS batch=$BATCH steps=$STEPS repeats=$REPEATS"
