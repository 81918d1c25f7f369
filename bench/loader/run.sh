#!/usr/bin/env bash
# bench/loader: does the ELM training data loader (worker/data/elm_loader.h) sustain >= 5x what a
# training step consumes? ecgbench_loader_bench (loader_bench.cc) writes a synthetic run (a store of
# synthetic 5 s ECGs at 250 Hz, 5-fold patient splits, ECG-QA-like conversations, an ECG-Byte
# tokenizer with 1000 merges, a synthetic byte-level BPE tokenizer.json with Llama 3's special
# tokens), then for the ECG-Byte ELM and the encoder-free (signal) ELM at batch 8, max_tokens 1024,
# min_ecg_tokens 250:
#   loader  batches/s over whole epochs on LOADER_THREADS builder threads (and on one), prefetch 4;
#   step    one training step (forward, assistant-only loss, backward, clip, AdamW; full fine-tuning,
#           fp32) of a ~20 M parameter Llama ELM on a batch from the loader, median of REPS.
# Usage: bench/loader/run.sh [BUILD_DIR] [LOADER_THREADS] [TORCH_THREADS] [REPS]
#        (CONVERSATIONS=800 EPOCHS=2 by default)
# Last line: RESULT loader_batches_per_s=... step_batches_per_s=... ratio=... for the ELM with the
# smaller ratio, then each ELM's figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
LOADER_THREADS=${2:-$(nproc)}
TORCH_THREADS=${3:-$(nproc)}
REPS=${4:-3}
CONVERSATIONS=${CONVERSATIONS:-800}
EPOCHS=${EPOCHS:-2}
# LibTorch's GEMMs go to the system BLAS, whose thread count at::set_num_threads does not set.
export BLIS_NUM_THREADS=$TORCH_THREADS OPENBLAS_NUM_THREADS=$TORCH_THREADS
BENCH="$BUILD_DIR/bin/ecgbench_loader_bench"
[ -x "$BENCH" ] || { echo "missing $BENCH: build the ecgbench_loader_bench target first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "loader threads $LOADER_THREADS, torch threads $TORCH_THREADS, $CONVERSATIONS conversations, $EPOCHS epochs, step reps $REPS"
"$BENCH" --dir "$work/run" --loader-threads "$LOADER_THREADS" --torch-threads "$TORCH_THREADS" --reps "$REPS" \
  --conversations "$CONVERSATIONS" --epochs "$EPOCHS"
