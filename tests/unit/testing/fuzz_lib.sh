# Shared by the run_fuzz.sh scripts (sourced, tests only): builds a libFuzzer target with clang
# (-fsanitize=fuzzer,address,undefined) straight from the sources it needs, and runs it.
# The sourcing script sets: src (source root), out (output dir), secs (seconds per target),
# cxx (compiler), flags (compile flags), link (extra link flags, e.g. pkg-config output).

# fuzz_build NAME "WATCHED FILES" SOURCES...: recompiles when a source or a watched file (headers)
# is newer than the binary.
fuzz_build() {
  local name=$1 watched=$2; shift 2
  local bin="$out/$name" stale=0 f
  [[ -x "$bin" ]] || stale=1
  for f in "$@" $watched; do
    [[ "$f" -nt "$bin" ]] && stale=1
  done
  if (( stale )); then
    echo "compiling $name"
    "$cxx" "${flags[@]}" "$@" "${link[@]}" -o "$bin"
  fi
}

# fuzz_run NAME CORPUS_DIR: runs the target for $secs seconds; returns non-zero (after showing the
# log's tail) on a crash, a sanitizer report or a broken property; the reproducer stays in $out.
fuzz_run() {
  local name=$1 corpus=$2
  echo "running $name for ${secs}s"
  if ! "$out/$name" -max_total_time="$secs" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
       -artifact_prefix="$out/$name-" -print_final_stats=1 "$corpus" 2>"$out/$name.log"; then
    echo "$name FAILED; log: $out/$name.log"
    tail -n 40 "$out/$name.log"
    return 1
  fi
  grep -E "stat::number_of_executed_units|Done" "$out/$name.log" | tail -n 2
}
