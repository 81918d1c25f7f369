#!/usr/bin/env bash
# Renders every kustomization of deploy/k8s (base and overlays/*) with the `kubectl` on PATH and
# validates each rendered object: Kubernetes 1.27 OpenAPI and Prometheus Operator CRD schemas
# (unknown kinds and unknown fields fail), then the deployment rules of issue 9
# (tests/deploy/k8s-validator/rules.js). The validator comes from npm (pinned in
# tests/deploy/k8s-validator/package-lock.json) and is installed once under
# ${ECGBENCH_CACHE:-$HOME/.cache/ecgbench}/npm-k8s.
#
# Usage: k8s_validate.sh [--k8s-dir DIR] [--overlay NAME] [--coordinator BIN] [--worker BIN]
#   --k8s-dir      the folder with base/ and overlays/ (default: deploy/k8s of this checkout)
#   --overlay      validate only this one (base, or a folder name under overlays/)
#   --coordinator, --worker
#                  built binaries: every flag the manifests pass must appear in their --help
# Environment: KUBECTL (default kubectl), ECGBENCH_CACHE.
# Exit status 0 when every overlay is valid; 1 with one line per problem, naming overlay, object
# and reason; 2 when a tool is missing or the validator cannot be installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
k8s_dir="$here/../../deploy/k8s"
only=""
coordinator_bin=""
worker_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --k8s-dir) k8s_dir=$2; shift 2 ;;
    --overlay) only=$2; shift 2 ;;
    --coordinator) coordinator_bin=$2; shift 2 ;;
    --worker) worker_bin=$2; shift 2 ;;
    *) echo "k8s_validate: unknown argument $1" >&2; exit 2 ;;
  esac
done

die() { echo "k8s_validate: $*" >&2; exit 2; }

kubectl=${KUBECTL:-kubectl}
command -v "$kubectl" >/dev/null ||
  die "$kubectl not found: install Debian's kubernetes-client (scripts/install-deps.sh)"
command -v node >/dev/null || die "node not found: install nodejs and npm (scripts/install-deps.sh)"
command -v npm >/dev/null || die "npm not found: install nodejs and npm (scripts/install-deps.sh)"
[ -d "$k8s_dir/base" ] || die "$k8s_dir/base: no such folder"

# The validator's node_modules, installed once per package-lock.json (npm ci: exact versions).
cache="${ECGBENCH_CACHE:-$HOME/.cache/ecgbench}/npm-k8s"
pkg="$here/k8s-validator"
stamp=$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -d' ' -f1)
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [ "$(cat "$cache/.stamp" 2>/dev/null)" != "$stamp" ]; then
  tmp=$(mktemp -d "$cache.tmp.XXXXXX")
  cp "$pkg/package.json" "$pkg/package-lock.json" "$tmp/"
  if ! (cd "$tmp" && npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error >npm.log 2>&1); then
    cat "$tmp/npm.log" >&2
    rm -rf "$tmp"
    die "npm ci of the manifest validator failed: it needs the npm registry once (offline?); afterwards it is cached in $cache"
  fi
  echo "$stamp" >"$tmp/.stamp"
  rm -rf "$cache"
  mv "$tmp" "$cache"
fi
flock -u 9

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

help_args=()
if [ -n "$coordinator_bin" ]; then
  "$coordinator_bin" --help >"$work/coordinator.help" 2>&1 || die "$coordinator_bin --help failed"
  help_args+=(--coordinator-help "$work/coordinator.help")
fi
if [ -n "$worker_bin" ]; then
  "$worker_bin" --help >"$work/worker.help" 2>&1 || die "$worker_bin --help failed"
  help_args+=(--worker-help "$work/worker.help")
fi

overlays=()
if [ -z "$only" ] || [ "$only" = base ]; then overlays+=("base:$k8s_dir/base"); fi
for dir in "$k8s_dir"/overlays/*/; do
  name=$(basename "$dir")
  [ -f "$dir/kustomization.yaml" ] || continue
  if [ -z "$only" ] || [ "$only" = "$name" ]; then overlays+=("$name:${dir%/}"); fi
done
[ ${#overlays[@]} -gt 0 ] || die "no kustomization to validate under $k8s_dir${only:+ named $only}"

echo "k8s_validate: $("$kubectl" version --client 2>/dev/null | head -n 2 | tr '\n' ' ')"
failed=()
for entry in "${overlays[@]}"; do
  name=${entry%%:*}
  dir=${entry#*:}
  profile=cpu
  case "$name" in *gpu*) profile=gpu ;; esac
  if ! "$kubectl" kustomize "$dir" >"$work/$name.yaml" 2>"$work/$name.err"; then
    echo "overlay $name: kubectl kustomize $dir failed:"
    sed 's/^/  /' "$work/$name.err"
    failed+=("$name")
    continue
  fi
  if ! NODE_PATH="$cache/node_modules" node "$pkg/validate.js" --overlay "$name" --profile "$profile" \
      --manifests "$work/$name.yaml" "${help_args[@]}"; then
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "k8s_validate: FAILED: ${failed[*]} (of ${#overlays[@]} rendered)"
  exit 1
fi
echo "k8s_validate: all ${#overlays[@]} kustomizations valid"
