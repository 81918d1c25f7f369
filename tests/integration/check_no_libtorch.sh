#!/usr/bin/env bash
# Fails when any given binary links LibTorch (libtorch*, libc10*) directly or through a dependency.
set -euo pipefail
status=0
for bin in "$@"; do
  if ldd "$bin" | grep -Eq 'libtorch|libc10'; then
    echo "FAIL: $bin links LibTorch:"; ldd "$bin" | grep -E 'libtorch|libc10'; status=1
  else
    echo "ok: $bin ($(ldd "$bin" | wc -l) shared libraries, none of them LibTorch)"
  fi
done
exit $status
