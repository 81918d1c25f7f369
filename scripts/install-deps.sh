#!/usr/bin/env bash
# Installs everything the build, the tests and the quickstart need on a fresh Debian 12 machine.
# Idempotent: a second run installs nothing new. Runs apt-get as root, or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# One list, used here and checked against deploy/docker by the tests (issue 9).
PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache curl unzip git
  libtorch-dev libblis4-openmp
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev prometheus-cpp-dev libgloo-dev libgtest-dev libgmock-dev
  libhdf5-dev libxxhash-dev libmatio-dev libcairo2-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libsentencepiece-dev sentencepiece libssl-dev wordnet-base python3-nltk python3-regex libfaiss-dev
  prometheus python3-grpcio python3-protobuf
  python3-numpy python3-scipy python3-mpmath python3-pywt python3-pil python3-torch clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch links libblas.so.3 through Debian's alternatives. The reference BLAS is ~25x slower and
# OpenBLAS breaks civetweb's threads in processes that link libtorch: pin BLIS (openmp) explicitly.
blis=/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3
if [ -e "$blis" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" != "$(readlink -f "$blis")" ]; then
  $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blis"
fi
echo "install-deps: all ${#PACKAGES[@]} packages present; libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
