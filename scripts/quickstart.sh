#!/usr/bin/env bash
# The README's quickstart: installs the dependencies, builds, prepares the quickstart's data and LLM
# (scripts/quickstart-prepare.sh: a synthetic PTB-XL-layout dataset, a trained text tokenizer, a
# random-init Llama) and runs the main job (configs/quickstart.yaml) on the embedded default:
# `ecgbench run` starts a coordinator and two local workers on loopback, shows progress and the
# latest loss, and ends with the results table and the report's path. State stays in ./.ecgbench.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target ecgbench ecgbench-coordinator ecgbench-worker
start=$(date +%s)
bash scripts/quickstart-prepare.sh "$PWD/$BUILD_DIR/bin" .ecgbench 2000
status=0
"$BUILD_DIR/bin/ecgbench" run configs/quickstart.yaml "$@" || status=$?
echo "quickstart: data, tokenizer, model and experiment took $(( $(date +%s) - start )) s"
exit "$status"
