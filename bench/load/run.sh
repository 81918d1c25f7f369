#!/usr/bin/env bash
# Coordinator load (issue 10): starts a real ecgbench-coordinator on loopback (temporary SQLite
# file, bearer tokens from a --auth-tokens file as in production), runs ecgbench_load_generator
# against it (default: 10,000 experiments from 50 clients while 1,000 simulated workers heartbeat
# at 1 Hz and acquire and complete the tasks), and prints each measured value's ratio to its
# target. Machines are noisy and the generator shares the CPU with the coordinator: the ratio is
# what docs/benchmarks.md records. Exit status: the generator's (non-zero when the run itself
# failed: RPC errors, experiments left unfinished), never because a target was missed.
#
# Usage: bench/load/run.sh [--build-dir DIR] [--quick] [--manager-only] [--keep DIR] [-- flags]
#   --build-dir DIR  build tree with bin/ecgbench-coordinator, bin/ecgbench_load_generator and
#                    bin/ecgbench_manager_bench (default: build; built there when missing)
#   --quick          smoke run (~20 s): 2,000 experiments, 20 clients, 200 workers, 3 s idle window
#   --manager-only   no gRPC, no coordinator process: the Manager + SQLite alone on one thread
#                    (ecgbench_manager_bench), CPU time per call and the experiments/s it bounds
#   --keep DIR       keep the coordinator's database and log in DIR instead of a temporary one
# Extra generator flags (after --) override the defaults, e.g. -- --submit-rate 400 (open loop:
# the latency of a given load instead of the closed loop's capacity), -- --shards 4,
# -- --complete-delay-ms 50.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=build
quick=0
manager_only=0
keep=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --manager-only) manager_only=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build="$root/$build" ;; esac
coord="$build/bin/ecgbench-coordinator"
gen="$build/bin/ecgbench_load_generator"
mgr="$build/bin/ecgbench_manager_bench"
if [ ! -x "$coord" ] || [ ! -x "$gen" ] || [ ! -x "$mgr" ]; then
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DECGBENCH_BUILD_WORKER=OFF
  cmake --build "$build" --target ecgbench-coordinator ecgbench_load_generator ecgbench_manager_bench
fi
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$manager_only" = 1 ]; then
  echo "machine: $machine"
  if [ "$quick" = 1 ]; then m=(--experiments 2000 --workers 200); else m=(--experiments 10000 --workers 1000); fi
  exec "$mgr" "${m[@]}" --dir "$(mktemp -d /tmp/ecgbench-manager-bench.XXXXXX)" "${extra[@]}"
fi

if [ -n "$keep" ]; then
  work=$keep
  mkdir -p "$work"
  rm -f "$work"/state.db* "$work"/port "$work"/coordinator.log "$work"/generator.out
else
  work=$(mktemp -d /tmp/ecgbench-load.XXXXXX)
fi
coord_pid=""
cleanup() {
  if [ -n "$coord_pid" ] && kill -0 "$coord_pid" 2>/dev/null; then
    kill -TERM "$coord_pid" 2>/dev/null || true
    wait "${wrapper_pid:-$coord_pid}" 2>/dev/null || true
  fi
  [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

# Tokens as in production: the file holds SHA-256 hashes, the clients read the tokens from files.
umask 077
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/submitter.token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/worker.token"
{
  echo "load-submitter submitter $("$coord" --hash-token <"$work/submitter.token")"
  echo "load-workers worker $("$coord" --hash-token <"$work/worker.token")"
} >"$work/tokens"

# ECGBENCH_LOAD_WRAPPER runs the coordinator under a profiler, e.g. "perf record -g -o /tmp/c.data --".
# shellcheck disable=SC2086
${ECGBENCH_LOAD_WRAPPER:-} "$coord" --listen 127.0.0.1:0 --port-file "$work/port" --metrics-listen "" \
  --db "$work/state.db" --auth-tokens "$work/tokens" --log-level "${ECGBENCH_LOAD_LOG_LEVEL:-info}" \
  >"$work/coordinator.log" 2>&1 &
coord_pid=$!
wrapper_pid=""
for _ in $(seq 1 300); do  # up to 30 s on a busy machine
  [ -s "$work/port" ] && break
  kill -0 "$coord_pid" 2>/dev/null || { cat "$work/coordinator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "run.sh: the coordinator wrote no port file" >&2; cat "$work/coordinator.log" >&2; exit 1; }
port=$(cat "$work/port")
if [ -n "${ECGBENCH_LOAD_WRAPPER:-}" ]; then
  wrapper_pid=$coord_pid
  coord_pid=$(pgrep -P "$wrapper_pid" | head -1)
fi

if [ "$quick" = 1 ]; then
  sizes=(--experiments 2000 --clients 20 --workers 200 --idle-seconds 3 --drain-timeout-seconds 60)
else
  sizes=(--experiments 10000 --clients 50 --workers 1000 --idle-seconds 10)
fi
echo "machine: $machine"
set +e
"$gen" --coordinator "127.0.0.1:$port" --submit-token-file "$work/submitter.token" \
  --worker-token-file "$work/worker.token" --coordinator-pid "$coord_pid" --db "$work/state.db" \
  "${sizes[@]}" "${extra[@]}" | tee "$work/generator.out"
rc=${PIPESTATUS[0]}
set -e
if ! kill -0 "$coord_pid" 2>/dev/null; then
  echo "run.sh: the coordinator died during the run; its log:" >&2
  tail -20 "$work/coordinator.log" >&2
  rc=1
fi

# Ratios to the issue's targets: p99 submit <= 20 ms, >= 1,000 tasks placed/s, 1,000 workers
# heartbeating within one core (the idle window's CPU, scaled to 1,000 workers).
json=$(grep '^LOAD_RESULT ' "$work/generator.out" | sed 's/^LOAD_RESULT //' || true)
if [ -n "$json" ] && command -v python3 >/dev/null; then
  echo "$json" | python3 "$here/ratios.py" || true
fi
[ -n "$keep" ] && echo "kept: $work (state.db, coordinator.log, generator.out)"
exit "$rc"
