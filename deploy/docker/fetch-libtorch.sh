#!/usr/bin/env bash
# Build-stage helper of deploy/docker/worker-cuda.Dockerfile: downloads a LibTorch zip (a PyTorch
# 2.x release, cxx11 ABI), checks its SHA-256 when one is given, unpacks it to DEST, and makes sure
# the Gloo headers that <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp> includes are present
# (the LibTorch zips may not ship them): if they are missing, it fetches Gloo at the commit the
# PyTorch release pins (third_party/gloo, or --gloo-commit) and generates gloo/config.h with Gloo's
# own CMake configure step. Not an installer of packages: scripts/install-deps.sh does that.
#
# Usage: fetch-libtorch.sh --url URL --dest DIR [--sha256 HEX] [--torch-version X.Y.Z] [--gloo-commit SHA]
set -euo pipefail

die() { echo "fetch-libtorch: $*" >&2; exit 2; }

url="" dest="" sha256="" torch_version="" gloo_commit=""
while [ $# -gt 0 ]; do
  case $1 in
    --url) url=${2:-}; shift 2 ;;
    --dest) dest=${2:-}; shift 2 ;;
    --sha256) sha256=${2:-}; shift 2 ;;
    --torch-version) torch_version=${2:-}; shift 2 ;;
    --gloo-commit) gloo_commit=${2:-}; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[ -n "$url" ] || die "--url is required (the LibTorch zip, e.g. https://download.pytorch.org/libtorch/cu126/...)"
[ -n "$dest" ] || die "--dest is required"
[ ! -e "$dest" ] || die "--dest $dest exists already"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-libtorch: downloading $url"
curl -fsSL --retry 3 -o "$tmp/libtorch.zip" "$url" || die "download of $url failed"
if [ -n "$sha256" ]; then
  echo "$sha256  $tmp/libtorch.zip" | sha256sum -c --quiet - || die "$url: SHA-256 differs from --sha256 $sha256"
else
  echo "fetch-libtorch: no --sha256 given; $url is not verified (sha256 $(sha256sum "$tmp/libtorch.zip" | cut -d' ' -f1))" >&2
fi
unzip -q "$tmp/libtorch.zip" -d "$tmp/unpacked"
rm -f "$tmp/libtorch.zip"
[ -f "$tmp/unpacked/libtorch/share/cmake/Torch/TorchConfig.cmake" ] \
  || die "$url: no libtorch/share/cmake/Torch/TorchConfig.cmake in the zip (not a LibTorch archive?)"
mkdir -p "$(dirname "$dest")"
mv "$tmp/unpacked/libtorch" "$dest"
[ -f "$dest/lib/libtorch_cuda.so" ] || echo "fetch-libtorch: warning: $dest/lib has no libtorch_cuda.so (a CPU LibTorch?)" >&2

if [ -f "$dest/include/gloo/algorithm.h" ] && [ -f "$dest/include/gloo/config.h" ]; then
  echo "fetch-libtorch: $dest ships the Gloo headers"
  exit 0
fi
if [ -z "$gloo_commit" ]; then
  [ -n "$torch_version" ] || die "the zip has no Gloo headers: give --torch-version (to look up PyTorch's third_party/gloo) or --gloo-commit"
  api="https://api.github.com/repos/pytorch/pytorch/contents/third_party/gloo?ref=v${torch_version}"
  gloo_commit=$(curl -fsSL "$api" | grep -o '"sha": *"[0-9a-f]\{40\}"' | head -n 1 | grep -o '[0-9a-f]\{40\}') \
    || die "could not read the Gloo submodule commit of PyTorch v${torch_version} from $api (give --gloo-commit)"
fi
[[ $gloo_commit =~ ^[0-9a-f]{7,40}$ ]] || die "--gloo-commit '$gloo_commit' is not a commit hash"
echo "fetch-libtorch: adding the Gloo headers of pytorch/gloo@$gloo_commit"
curl -fsSL --retry 3 -o "$tmp/gloo.tar.gz" "https://github.com/pytorch/gloo/archive/${gloo_commit}.tar.gz" \
  || die "download of pytorch/gloo@$gloo_commit failed"
mkdir -p "$tmp/gloo"
tar -xzf "$tmp/gloo.tar.gz" -C "$tmp/gloo" --strip-components=1
# Only the configure step: it writes gloo/config.h (transport TCP, no CUDA/IBVERBS/MPI/Redis).
cmake -S "$tmp/gloo" -B "$tmp/gloo-build" -DBUILD_TEST=OFF -DBUILD_BENCHMARK=OFF >/dev/null \
  || die "Gloo's CMake configure step failed"
[ -f "$tmp/gloo-build/gloo/config.h" ] || die "Gloo's configure step wrote no gloo/config.h"
(cd "$tmp/gloo" && find gloo -name '*.h' -exec cp --parents {} "$dest/include/" \;)
cp "$tmp/gloo-build/gloo/config.h" "$dest/include/gloo/config.h"
echo "fetch-libtorch: $dest ready (Gloo headers from pytorch/gloo@$gloo_commit)"
