#!/usr/bin/env python3
"""Ratios of bench/load's measured values to the issue-10 targets, from the generator's LOAD_RESULT
JSON on stdin: p99 submit <= 20 ms, >= 1,000 tasks placed per second, 1,000 workers heartbeating
within one core (the idle window's coordinator CPU, scaled to 1,000 workers)."""
import json
import sys

r = json.load(sys.stdin)
c = r.get("coordinator", {})
sq = r.get("sqlite", {})
per_1000 = c.get("idle_cores", 0.0) * 1000.0 / r["workers"]
rows = [
    ("p99 submit latency (ms)", r["submit"]["p99_ms"], 20.0, "<="),
    ("tasks placed/s (steady, 5-95%)", r["placed_per_s_steady"], 1000.0, ">="),
    ("heartbeat cores per 1,000 workers", per_1000, 1.0, "<="),
]
print("\ntarget check (ratio = measured / target; a '<=' target is met at ratio <= 1, a '>=' one at >= 1)")
for name, value, target, op in rows:
    met = value <= target if op == "<=" else value >= target
    verdict = "meets" if met else "MISSES"
    print(f"  {name:36s} {value:10.3f}   target {op} {target:g}   ratio {value / target:6.3f}   {verdict}")
if r.get("submit_rate", 0) <= 0:
    print(f"  closed loop: each of the {r['clients']} clients submits again as soon as its last submission returns, so the")
    print("  mean submit latency is clients / throughput (Little's law); -- --submit-rate R measures the latency of a")
    print("  given load instead")
cpu_per_task = c.get("cpu_ms_per_experiment", 0.0) / r["shards"]
if cpu_per_task > 0:
    print(f"  coordinator CPU per task placed and completed (submission, heartbeats included): {cpu_per_task:.2f} ms, so")
    print(f"  1,000 tasks/s take {cpu_per_task:.2f} cores of the coordinator on this machine "
          f"({r.get('machine_cores', 0)} cores, shared with the generator's {r.get('generator_cores', 0.0):.2f})")
sqlite_mib = (sq.get("db_bytes", 0) + sq.get("wal_bytes", 0)) / 1048576
print(f"  coordinator CPU in the load window {c.get('load_cores', 0.0):.2f} cores; peak RSS "
      f"{c.get('rss_peak_bytes', 0) / 1048576:.0f} MiB; SQLite {sqlite_mib:.1f} MiB (db + wal)")
print(f"RESULT submit_p99_ms={r['submit']['p99_ms']:.2f} placed_per_s={r['placed_per_s_steady']:.0f} "
      f"heartbeat_cores_per_1000_workers={per_1000:.3f} coordinator_cpu_ms_per_task={cpu_per_task:.3f} "
      f"ratio_submit_p99={r['submit']['p99_ms'] / 20.0:.2f} ratio_placed={r['placed_per_s_steady'] / 1000.0:.2f} "
      f"ratio_heartbeat={per_1000:.2f} errors={r['errors_total']}")
