#!/usr/bin/env bash
# The README's quickstart: installs the dependencies, builds, and runs the main job
# (configs/quickstart.yaml) on the embedded default: `ecgbench run` starts a coordinator and local
# workers on loopback, shows progress, and prints the results. State stays in ./.ecgbench.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target ecgbench ecgbench-coordinator ecgbench-worker
exec "$BUILD_DIR/bin/ecgbench" run configs/quickstart.yaml "$@"
