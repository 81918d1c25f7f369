#!/usr/bin/env bash
# The README's quickstart: installs the dependencies, builds, generates a synthetic PTB-XL-layout
# dataset, and runs the main job (configs/quickstart.yaml) on the embedded default: `ecgbench run` starts a coordinator and local
# workers on loopback, shows progress, and prints the results. State stays in ./.ecgbench.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target ecgbench ecgbench-coordinator ecgbench-worker
# The quickstart's data: a synthetic PTB-XL-layout dataset (real file formats, no real patients).
"$BUILD_DIR/bin/ecgbench" data synth --layout ptbxl --out .ecgbench/data/ptbxl-synth --records 500 --seed 1
# The quickstart's LLM: a small random Llama-architecture model with a byte-level tokenizer (no real
# weights can be downloaded here; configs/quickstart.yaml says how to use a real one).
[ -f .ecgbench/models/random-llama/config.json ] ||
  "$BUILD_DIR/bin/ecgbench-worker" --write-random-model .ecgbench/models/random-llama
exec "$BUILD_DIR/bin/ecgbench" run configs/quickstart.yaml "$@"
