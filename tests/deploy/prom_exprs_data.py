#!/usr/bin/env python3
"""Writes a promtool unit test proving that every dashboard query, variable query and recording rule
returns data when the catalogue's metrics exist with consistent labels.

An hour of synthetic series is generated from deploy/prometheus/metrics-catalogue.txt with the
labels the catalogue lists and plausible values (counters rise, timestamps follow the clock,
progress grows). Two workers run ranks 0 and 1 of one task, each on its own GPU whose DCGM `UUID`
equals the worker's `gpu_uuid`, so the GPU joins must match on the right label: a join on a wrong
one becomes many-to-many (an error) or empty. Each expression E becomes the unit test
`count(E) > bool 0` == 1 (the source is a PromQL comment inside, so a failure names the panel);
an empty result, an evaluation error or a misspelt label matcher fails it.

Usage: prom_exprs_data.py OUT_DIR   then   promtool test rules OUT_DIR/exprs-data-test.yml
"""
import os
import sys

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_exprs  # noqa: E402

INTERVAL = "15s"
STEPS = 240  # one hour
REPLICAS = 2  # workers (and GPUs, DCGM exporters); worker r runs rank r on GPU r
LABEL_VALUES = {
    "experiment": "exp-1", "run": "run-1", "run_name": "representation=signal,fold=0",
    "stage": "train", "task": "task-1",
    "stage_kind": "train", "state": "running", "outcome": "succeeded", "result": "succeeded",
    "code": "OK", "method": "ecgbench.v1.WorkerService/Heartbeat", "metric": "accuracy",
    "name": "quickstart", "version": "0.1.0", "libtorch_version": "1.13.1",
    "gpu_name": "NVIDIA H100 80GB HBM3", "modelName": "NVIDIA H100 80GB HBM3",
}


def replica_labels(job, r):
    """job/instance and the labels that differ between worker (or GPU) r and the others."""
    uuid = f"GPU-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f{r}"
    if job == "ecgbench-coordinator":
        return {"job": job, "instance": "coordinator:9100"}
    if job == "ecgbench-worker":
        return {"job": job, "instance": f"worker-{r}:9101", "rank": str(r), "worker_id": f"worker-{r}",
                "gpu_uuid": uuid, "gpu_index": "0"}
    return {"job": job, "instance": f"node-{r}:9400", "gpu": "0", "UUID": uuid, "device": "nvidia0",
            "Hostname": f"node-{r}"}
# Gauges whose value matters to the expressions that read them (default: 1).
GAUGE_VALUES = {
    "ecgbench_worker_task_start_timestamp_seconds": "0x{n}",
    "ecgbench_worker_task_last_progress_timestamp_seconds": "0+15x{n}",
    "ecgbench_train_last_checkpoint_timestamp_seconds": "0+15x{n}",
    "ecgbench_worker_task_progress_ratio": "0+0.001x{n}",
    "ecgbench_train_loss": "3-0.005x{n}",
    "ecgbench_train_validation_loss": "3-0.004x{n}",
    "ecgbench_gpus_capacity": "8x{n}", "ecgbench_gpus_allocated": "4x{n}",
    "ecgbench_cpus_capacity": "64x{n}", "ecgbench_cpus_allocated": "16x{n}",
    "DCGM_FI_DEV_GPU_UTIL": "85x{n}", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": "0.6x{n}",
    "DCGM_FI_DEV_FB_USED": "40000x{n}",
}
COUNTER_VALUES = {
    "ecgbench_train_step_seconds_total": "0+50x{n}",
    "ecgbench_train_data_wait_seconds_total": "0+5x{n}",
}


def selector(name, labels):
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{body}}}"


def input_series(catalogue):
    series = []
    jobs = ("ecgbench-coordinator", "ecgbench-worker", "dcgm-exporter")
    for name, m in catalogue.items():
        if m["job"] == "prometheus":
            targets = {tuple(replica_labels(job, r)[k] for k in ("job", "instance"))
                       for job in jobs for r in range(REPLICAS)}
            for job, instance in sorted(targets):
                series.append({"series": selector(name, {"job": job, "instance": instance}),
                               "values": f"1x{STEPS}"})
            continue
        replicas = 1 if m["job"] == "ecgbench-coordinator" else REPLICAS
        for r in range(replicas):
            specific = replica_labels(m["job"], r)
            labels = {"job": m["job"], "instance": specific["instance"]}
            labels.update({label: specific.get(label, LABEL_VALUES.get(label)) for label in m["labels"]})
            series += metric_series(name, m["type"], labels)
    return series


def metric_series(name, type_, labels):
    """The series of one metric (a histogram's buckets, sum and count) with their values."""
    if type_ == "histogram":
        series = [{"series": selector(name + "_bucket", dict(labels, le=le)), "values": f"0+{n}x{STEPS}"}
                  for le, n in (("0.1", 1), ("1", 2), ("10", 3), ("+Inf", 3))]
        series.append({"series": selector(name + "_sum", labels), "values": f"0+6x{STEPS}"})
        series.append({"series": selector(name + "_count", labels), "values": f"0+3x{STEPS}"})
        return series
    values = COUNTER_VALUES.get(name, "0+10x{n}") if type_ == "counter" else GAUGE_VALUES.get(name, "1x{n}")
    return [{"series": selector(name, labels), "values": values.format(n=STEPS)}]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    catalogue = promql_exprs.load_catalogue()
    items = [i for i in promql_exprs.collect() if i["kind"] in ("panel", "variable", "record")]
    missing = sorted({label for m in catalogue.values() for label in m["labels"]}
                     - set(LABEL_VALUES) - set(replica_labels("ecgbench-worker", 0))
                     - set(replica_labels("dcgm-exporter", 0)))
    if missing:
        print(f"prom_exprs_data: no synthetic value for the labels {missing}", file=sys.stderr)
        return 1
    checks = [{"expr": f"count(\n# {i['source']}\n{promql_exprs.substitute(i['raw'])}\n) > bool 0",
               "eval_time": "60m", "exp_samples": [{"labels": "{}", "value": 1}]} for i in items]
    recording = os.path.join(promql_exprs.REPO, "deploy", "prometheus", "rules", "ecgbench-recording.yml")
    test = {
        "rule_files": [os.path.relpath(recording, out)],
        "evaluation_interval": "1m",
        "tests": [{"interval": INTERVAL, "input_series": input_series(catalogue), "promql_expr_test": checks}],
    }
    with open(os.path.join(out, "exprs-data-test.yml"), "w", encoding="utf-8") as f:
        f.write("# Generated by tests/deploy/prom_exprs_data.py: every expression must return data.\n")
        yaml.safe_dump(test, f, sort_keys=False, width=1000)
    print(f"prom_exprs_data: {len(items)} expressions, {len(test['tests'][0]['input_series'])} series -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
