#!/usr/bin/env bash
# What the quickstart experiment needs before `ecgbench run configs/quickstart.yaml`, written under
# STATE_DIR (default .ecgbench), with the binaries in BIN_DIR (default build/bin):
#   STATE_DIR/data/ptbxl-synth          a synthetic PTB-XL-layout dataset (RECORDS records, real file
#                                       formats, ECG-QA questions; `ecgbench data synth`)
#   STATE_DIR/models/quickstart-tokenizer.json
#                                       a byte-level BPE text tokenizer trained on the ECG-QA training
#                                       split's questions and answers (`ecgbench text train`)
#   STATE_DIR/models/quickstart-llama   a random-init Llama-architecture model folder in Hugging Face's
#                                       layout from configs/models/quickstart-llama.json and that
#                                       tokenizer (`ecgbench-worker --init-model`)
# No real weights or data can be downloaded here; scripts/quickstart.sh and the end-to-end test
# (tests/integration/quickstart_test.cc) both call this script. Usage:
#   scripts/quickstart-prepare.sh [BIN_DIR] [STATE_DIR] [RECORDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${1:-$ROOT/build/bin}
STATE_DIR=${2:-.ecgbench}
RECORDS=${3:-2000}
DATA="$STATE_DIR/data/ptbxl-synth"
MODELS="$STATE_DIR/models"
mkdir -p "$MODELS"
"$BIN_DIR/ecgbench" data synth --layout ptbxl --out "$DATA" --records "$RECORDS" --seed 1 --no-low-rate
"$BIN_DIR/ecgbench" text train --ecgqa --vocab-size 512 --out "$MODELS/quickstart-tokenizer.json" \
  "$DATA/ecgqa/ptbxl/template/train"
"$BIN_DIR/ecgbench-worker" --init-model "$ROOT/configs/models/quickstart-llama.json" \
  --tokenizer "$MODELS/quickstart-tokenizer.json" --out "$MODELS/quickstart-llama" --seed 0
