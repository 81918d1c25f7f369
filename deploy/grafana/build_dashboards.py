#!/usr/bin/env python3
"""Writes the ECG-Bench Grafana dashboards (deploy/grafana/dashboards/*.json) from one description.

The JSON files are what Grafana imports or provisions; this script is their source, so the three
dashboards share one layout, one datasource variable and the same DCGM join. Edit here, run
`python3 deploy/grafana/build_dashboards.py`, commit both. `--check` exits 1 when a JSON file differs
from what the script would write (tests/deploy/prom_rules_test.sh runs it).

Every query may use only the metrics of deploy/prometheus/metrics-catalogue.txt (tested).
"""
import argparse
import json
import os
import sys

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 38  # Grafana 10.0; later versions migrate it on load
STREAMING_METHODS = ".*/(WatchExperiment|StreamLogs|AcquireTask|KvWait)"
SERVER_ERROR_CODES = "INTERNAL|UNKNOWN|DATA_LOSS|UNAVAILABLE"


# --- PromQL fragments -------------------------------------------------------------------------

def dcgm_by_uuid(metric):
    """One DCGM series per GPU, with UUID copied into gpu_uuid (the label our workers export)."""
    return f'max by (gpu_uuid) (label_replace({metric}, "gpu_uuid", "$1", "UUID", "(.*)"))'


def dcgm_per_task(metric, selector, scale=""):
    """DCGM `metric` attributed to the tasks holding each GPU (as the recording rules do)."""
    return (f"max by (instance, experiment, run, stage, task, rank, gpu_uuid) "
            f"(ecgbench_worker_gpu_assignment_info{{{selector}}})\n"
            f"  * on (gpu_uuid) group_left ()\n{dcgm_by_uuid(metric)}{scale}")


def dcgm_per_worker_gpu(metric, selector, scale=""):
    """DCGM `metric` for every GPU a worker has (busy or not), labelled with its index."""
    return (f"max by (instance, gpu_uuid, gpu_index) (ecgbench_worker_gpu_info{{{selector}}})\n"
            f"  * on (gpu_uuid) group_left ()\n{dcgm_by_uuid(metric)}{scale}")


# --- Dashboard building blocks ----------------------------------------------------------------

class Dashboard:
    """Collects rows and panels and lays them out left to right on Grafana's 24-column grid."""

    def __init__(self, uid, title, description, variables, time_from="now-6h"):
        self.uid = uid
        self.title = title
        self.description = description
        self.variables = variables
        self.time_from = time_from
        self.panels = []
        self._next_id = 1
        self._x = 0
        self._y = 0
        self._row_height = 0

    def _new_line(self):
        self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def row(self, title):
        self._new_line()
        self.panels.append({
            "type": "row", "id": self._take_id(), "title": title, "collapsed": False, "panels": [],
            "gridPos": {"x": 0, "y": self._y, "w": 24, "h": 1},
        })
        self._y += 1

    def _take_id(self):
        pid = self._next_id
        self._next_id += 1
        return pid

    def add(self, panel, w, h):
        if self._x + w > 24:
            self._new_line()
        panel["id"] = self._take_id()
        panel["gridPos"] = {"x": self._x, "y": self._y, "w": w, "h": h}
        self._x += w
        self._row_height = max(self._row_height, h)
        self.panels.append(panel)

    def to_json(self):
        return {
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [{"asDropdown": True, "icon": "external link", "includeVars": False,
                       "keepTime": True, "tags": ["ecgbench"], "targetBlank": False,
                       "title": "ECG-Bench dashboards", "type": "dashboards"}],
            "panels": self.panels,
            "refresh": "1m",
            "schemaVersion": SCHEMA_VERSION,
            "tags": ["ecgbench"],
            "templating": {"list": self.variables},
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "refId": ref}
    if table:
        t["format"] = "table"
    return t


def targets(*pairs):
    """targets(("expr", "legend"), ...) with refIds A, B, C..."""
    return [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(pairs)]


def field_defaults(unit=None, min_=None, max_=None, decimals=None, thresholds=None, mappings=None):
    d = {"color": {"mode": "palette-classic"}, "mappings": mappings or []}
    if unit:
        d["unit"] = unit
    if min_ is not None:
        d["min"] = min_
    if max_ is not None:
        d["max"] = max_
    if decimals is not None:
        d["decimals"] = decimals
    d["thresholds"] = thresholds or {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
    return d


def timeseries(title, tgts, unit=None, description="", min_=None, max_=None, threshold=None, stack=False):
    defaults = field_defaults(unit, min_, max_)
    defaults["custom"] = {
        "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0, "showPoints": "never",
        "spanNulls": False, "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "axisPlacement": "auto", "thresholdsStyle": {"mode": "off"},
    }
    if threshold is not None:
        defaults["thresholds"] = {"mode": "absolute", "steps": [
            {"color": "green", "value": None}, {"color": "red", "value": threshold}]}
        defaults["custom"]["thresholdsStyle"] = {"mode": "dashed"}
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DS,
        "targets": tgts, "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }


UP_DOWN = [{"type": "value", "options": {
    "0": {"text": "DOWN", "color": "red", "index": 0},
    "1": {"text": "UP", "color": "green", "index": 1}}}]
YES_NO = [{"type": "value", "options": {
    "0": {"text": "NO", "color": "red", "index": 0},
    "1": {"text": "YES", "color": "green", "index": 1}}}]
RED_BELOW_ONE = {"mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}]}


def stat(title, tgts, unit=None, description="", mappings=None, thresholds=None, graph=True):
    return {
        "type": "stat", "title": title, "description": description, "datasource": DS, "targets": tgts,
        "fieldConfig": {"defaults": field_defaults(unit, thresholds=thresholds, mappings=mappings),
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value" if thresholds else "none", "graphMode": "area" if graph else "none",
                    "justifyMode": "auto", "orientation": "auto", "textMode": "auto"},
    }


def gauge(title, tgts, unit="percentunit", description="", max_=1):
    th = {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "orange", "value": 0.9 * max_}]}
    return {
        "type": "gauge", "title": title, "description": description, "datasource": DS, "targets": tgts,
        "fieldConfig": {"defaults": field_defaults(unit, 0, max_, thresholds=th), "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "showThresholdLabels": False, "showThresholdMarkers": True},
    }


def bargauge(title, tgts, unit=None, description="", min_=None, max_=None):
    return {
        "type": "bargauge", "title": title, "description": description, "datasource": DS, "targets": tgts,
        "fieldConfig": {"defaults": field_defaults(unit, min_, max_), "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True},
    }


def table(title, expr, columns, description="", value_name=None, unit=None, matrix=None):
    """An instant table of `expr`'s series: the label columns listed, then the value named
    `value_name` (None: hidden, for _info series whose value is 1)."""
    hidden = {"Time": True, "__name__": True, "job": True}
    if "instance" not in columns:
        hidden["instance"] = True
    if value_name is None:  # an _info series: the value is always 1
        hidden["Value"] = True
    order = {c: i for i, c in enumerate(columns + ["Value"])}
    transformations = [{"id": "organize", "options": {
        "excludeByName": hidden, "indexByName": order,
        "renameByName": {"Value": value_name} if value_name else {}}}]
    if matrix:
        # rows: matrix[0] label, columns: matrix[1] label, cells: the value
        transformations = [{"id": "groupingToMatrix", "options": {
            "rowField": matrix[0], "columnField": matrix[1], "valueField": "Value"}}]
    return {
        "type": "table", "title": title, "description": description, "datasource": DS,
        "targets": [target(expr, "", "A", instant=True, table=True)],
        "fieldConfig": {"defaults": field_defaults(unit), "overrides": []},
        "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
        "transformations": transformations,
    }


# --- Template variables -----------------------------------------------------------------------

DATASOURCE_VAR = {
    "name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
    "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
    "regex": "", "skipUrlSync": False,
}


def query_var(name, label, query, regex="", all_value=".+", hide=0, multi=True):
    return {
        "name": name, "label": label, "type": "query", "datasource": DS,
        "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": hide, "includeAll": True, "allValue": all_value, "multi": multi, "options": [],
        "refresh": 2, "regex": regex, "skipUrlSync": False, "sort": 1,
    }


# The experiment picker shows each experiment's name and selects by its id. Grafana's query_result
# lines list the labels sorted by name: metric{experiment="...",instance=...,name="...",state=...}.
EXPERIMENT_VAR = query_var(
    "experiment", "Experiment", "query_result(ecgbench_experiment_info)",
    regex='/[{,]experiment="(?<value>[^"]+)".*[{,]name="(?<text>[^"]*)"/')
RUN_VAR = query_var(
    "run", "Run", 'label_values(ecgbench_worker_task_start_timestamp_seconds{experiment=~"$experiment"}, run)')
WORKER_VAR = query_var("worker", "Worker", "label_values(ecgbench_worker_info, worker_id)")
# Hidden: the scrape instances of the chosen workers (worker series other than
# ecgbench_worker_info carry no worker_id). "All" expands to exactly those instances.
INSTANCE_VAR = query_var(
    "instance", "Instance", 'label_values(ecgbench_worker_info{worker_id=~"$worker"}, instance)',
    all_value=None, hide=2)


# --- The dashboards ---------------------------------------------------------------------------

def cluster_dashboard():
    d = Dashboard("ecgbench-cluster", "ECG-Bench / Cluster overview",
                  "Coordinator health, workers, GPU and CPU allocation, the task queue, scheduling "
                  "latency, experiments/runs/tasks by state, attempt outcomes and gRPC traffic.",
                  [DATASOURCE_VAR])
    d.row("Health")
    d.add(stat("Coordinator scrape", targets(('max(up{job="ecgbench-coordinator"})', "up")),
               description="Prometheus reaches the coordinator's /metrics.",
               mappings=UP_DOWN, thresholds=RED_BELOW_ONE, graph=False), 4, 4)
    d.add(stat("Coordinator healthy", targets(("max(ecgbench_coordinator_up)", "healthy")),
               description="ecgbench_coordinator_up: 1 while serving with a database that answers.",
               mappings=UP_DOWN, thresholds=RED_BELOW_ONE, graph=False), 4, 4)
    d.add(stat("Workers connected", targets(("sum(ecgbench_workers_connected)", "connected")),
               description="Workers holding a live lease, as the coordinator sees them."), 4, 4)
    d.add(stat("Worker targets up / scraped", targets(
        ('sum(up{job="ecgbench-worker"})', "up"), ('count(up{job="ecgbench-worker"})', "scraped")),
        description="Worker /metrics endpoints Prometheus reaches, out of those it knows."), 4, 4)
    d.add(stat("Workers registered", targets(("sum(ecgbench_worker_registered)", "registered")),
               description="Workers that report being registered with the coordinator."), 4, 4)
    d.add(stat("Queue depth", targets(("sum(ecgbench_queue_depth)", "waiting")),
               description="Tasks ready to run and waiting for resources."), 4, 4)

    d.row("Workers and resources")
    d.add(timeseries("Workers", targets(
        ("sum(ecgbench_workers_connected)", "connected (coordinator)"),
        ("sum(ecgbench_worker_registered)", "registered (workers)"),
        ('sum(up{job="ecgbench-worker"})', "scrape up")), min_=0), 8, 8)
    d.add(timeseries("GPUs allocated vs capacity", targets(
        ("sum(ecgbench_gpus_allocated)", "allocated"), ("sum(ecgbench_gpus_capacity)", "capacity")),
        description="GPUs held by running task ranks and offered by connected workers.", min_=0), 8, 8)
    d.add(timeseries("CPU cores allocated vs capacity", targets(
        ("sum(ecgbench_cpus_allocated)", "allocated"), ("sum(ecgbench_cpus_capacity)", "capacity")), min_=0), 8, 8)
    d.add(gauge("GPU allocation", targets(
        ("sum(ecgbench_gpus_allocated) / clamp_min(sum(ecgbench_gpus_capacity), 1)", "allocated")),
        description="Share of the offered GPUs that running tasks hold (0 on a cluster without GPUs)."), 6, 6)
    d.add(gauge("CPU allocation", targets(
        ("sum(ecgbench_cpus_allocated) / clamp_min(sum(ecgbench_cpus_capacity), 1)", "allocated"))), 6, 6)
    d.add(timeseries("GPU utilisation by node (DCGM)", targets(
        ("avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}}")),
        unit="percent", min_=0, max_=100,
        description="Mean DCGM_FI_DEV_GPU_UTIL of each node's GPUs (DCGM exporter)."), 12, 6)

    d.row("Queue and scheduling")
    d.add(timeseries("Queue depth", targets(("sum(ecgbench_queue_depth)", "tasks waiting")), min_=0), 8, 8)
    lat = "rate(ecgbench_scheduling_latency_seconds_bucket[15m])"
    d.add(timeseries("Scheduling latency", targets(
        (f"histogram_quantile(0.5, sum by (le) ({lat}))", "p50"),
        (f"histogram_quantile(0.9, sum by (le, stage_kind) ({lat}))", "p90 {{stage_kind}}"),
        (f"histogram_quantile(0.99, sum by (le) ({lat}))", "p99")),
        unit="s", min_=0,
        description="Time from a task becoming ready to its placement, over the placements of the last "
                    "15 minutes (empty while nothing is placed)."), 8, 8)
    d.add(timeseries("Tasks placed (15 min)", targets(
        ("sum by (stage_kind) (increase(ecgbench_scheduling_latency_seconds_count[15m]))", "{{stage_kind}}")),
        min_=0), 8, 8)

    d.row("Experiments, runs and tasks")
    d.add(timeseries("Experiments by state", targets(("sum by (state) (ecgbench_experiments)", "{{state}}")),
                     min_=0), 8, 8)
    d.add(timeseries("Runs by state", targets(("sum by (state) (ecgbench_runs)", "{{state}}")), min_=0), 8, 8)
    d.add(timeseries("Tasks by state", targets(("sum by (state) (ecgbench_tasks)", "{{state}}")), min_=0), 8, 8)
    d.add(timeseries("Attempts ended in the last hour, by outcome", targets(
        ("sum by (outcome) (increase(ecgbench_task_attempts_total[1h]))", "{{outcome}}")), min_=0,
        description="succeeded | failed | cancelled | preempted | lease_expired."), 12, 8)
    d.add(table("Experiments (active and ended in the last 24 h)", "ecgbench_experiment_info",
                ["experiment", "name", "state"]), 12, 8)

    d.row("Coordinator gRPC")
    d.add(timeseries("Requests by method", targets(
        ("sum by (method) (rate(ecgbench_grpc_requests_total[$__rate_interval]))", "{{method}}")),
        unit="reqps", min_=0), 12, 8)
    d.add(timeseries("Responses by code", targets(
        ("sum by (code) (rate(ecgbench_grpc_requests_total[$__rate_interval]))", "{{code}}")),
        unit="reqps", min_=0), 12, 8)
    d.add(timeseries("Server error ratio", targets(
        (f'1 - sum(rate(ecgbench_grpc_requests_total{{code!~"{SERVER_ERROR_CODES}"}}[5m])) '
         f'/ sum(rate(ecgbench_grpc_requests_total[5m]))', "server errors")),
        unit="percentunit", min_=0, threshold=0.05,
        description=f"Share of requests ending {SERVER_ERROR_CODES.replace('|', ', ')} over 5 minutes "
                    "(EcgbenchCoordinatorGrpcErrors fires above 5 %)."), 12, 8)
    dur = f'rate(ecgbench_grpc_request_duration_seconds_bucket{{method!~"{STREAMING_METHODS}"}}[$__rate_interval])'
    d.add(timeseries("Request latency (unary methods)", targets(
        (f"histogram_quantile(0.5, sum by (le) ({dur}))", "p50"),
        (f"histogram_quantile(0.99, sum by (le, method) ({dur}))", "p99 {{method}}")),
        unit="s", min_=0,
        description="Streams and long-polls (WatchExperiment, StreamLogs, AcquireTask, KvWait) are left "
                    "out: their duration is the wait."), 12, 8)
    return d


def experiment_dashboard():
    d = Dashboard("ecgbench-experiment", "ECG-Bench / Experiment",
                  "One experiment's runs: stage progress and ETA, training curves per run and rank, "
                  "throughput, MFU, checkpoints, evaluation results and the GPUs of its tasks (DCGM).",
                  [DATASOURCE_VAR, EXPERIMENT_VAR, RUN_VAR], time_from="now-24h")
    sel = 'experiment=~"$experiment", run=~"$run"'
    rank_legend = "{{run}} {{stage}} rank {{rank}}"

    d.row("Progress")
    d.add(table("Experiment", f'ecgbench_experiment_info{{experiment=~"$experiment"}}',
                ["experiment", "name", "state"]), 8, 7)
    d.add(bargauge("Stage progress", targets(
        (f"avg by (run, stage) (ecgbench_worker_task_progress_ratio{{{sel}}})", "{{run}} {{stage}}")),
        unit="percentunit", min_=0, max_=1,
        description="Mean progress of the stage's running tasks (ranks report the same progress)."), 8, 7)
    p = f"ecgbench_worker_task_progress_ratio{{{sel}}}"
    d.add(bargauge("Stage ETA", targets(
        (f"max by (run, stage) (clamp((1 - {p}) / (deriv({p}[10m]) > 0), 0, 604800))", "{{run}} {{stage}}")),
        unit="s", min_=0,
        description="(1 - progress) / d(progress)/dt over 10 minutes for each task; the stage's slowest "
                    "task. Empty for a task without progress in the window; capped at 7 days."), 8, 7)
    d.add(timeseries("Stage progress over time", targets(
        (f"avg by (run, stage) ({p})", "{{run}} {{stage}}")), unit="percentunit", min_=0, max_=1), 12, 8)
    d.add(timeseries("Time since last checkpoint", targets(
        (f"time() - max by (run, stage, task) (ecgbench_train_last_checkpoint_timestamp_seconds{{{sel}}} "
         f'or ecgbench_worker_task_start_timestamp_seconds{{{sel}, stage_kind=~"train|pretrain"}})',
         "{{run}} {{stage}} {{task}}")),
        unit="s", min_=0, threshold=7200,
        description="Since the task's last checkpoint, or its start before the first one (only rank 0 "
                    "writes checkpoints). EcgbenchCheckpointTooOld fires above 2 h."), 12, 8)

    d.row("Training")
    d.add(timeseries("Training loss", targets((f"ecgbench_train_loss{{{sel}}}", rank_legend))), 12, 8)
    d.add(timeseries("Validation loss", targets((f"ecgbench_train_validation_loss{{{sel}}}", rank_legend)),
                     description="Set after each validation pass."), 12, 8)
    d.add(timeseries("Learning rate", targets((f"ecgbench_train_lr{{{sel}}}", rank_legend))), 8, 8)
    d.add(timeseries("Gradient norm", targets((f"ecgbench_train_grad_norm{{{sel}}}", rank_legend)),
                     description="Before clipping."), 8, 8)
    d.add(timeseries("Optimizer step", targets((f"ecgbench_train_step{{{sel}}}", rank_legend)), min_=0), 8, 8)
    # Every rank reports the throughput of all ranks (its own count x world size): max, not sum.
    d.add(timeseries("Tokens per second (all ranks)", targets(
        (f"max by (run, stage) (ecgbench_train_tokens_per_second{{{sel}}})", "{{run}} {{stage}}")),
        min_=0, description="Labeled tokens per second of the whole task (every rank reports the total)."), 8, 8)
    d.add(timeseries("Samples per second (all ranks)", targets(
        (f"max by (run, stage) (ecgbench_train_samples_per_second{{{sel}}})", "{{run}} {{stage}}")),
        min_=0, description="Samples per second of the whole task (every rank reports the total)."), 8, 8)
    d.add(timeseries("Model FLOPs utilisation", targets(
        (f"avg by (run, stage) (ecgbench_train_mfu_ratio{{{sel}}})", "{{run}} {{stage}}")),
        unit="percentunit", min_=0,
        description="Mean over ranks; exported only where the device's peak FLOPs are known (GPUs)."), 8, 8)
    d.add(timeseries("Mean step time", targets(
        (f"rate(ecgbench_train_step_seconds_total{{{sel}}}[$__rate_interval]) "
         f"/ rate(ecgbench_train_steps_total{{{sel}}}[$__rate_interval])", rank_legend)),
        unit="s", min_=0), 12, 8)
    d.add(timeseries("Checkpoint save time", targets(
        (f"max by (run, stage) (ecgbench_train_checkpoint_save_seconds{{{sel}}})", "{{run}} {{stage}}")),
        unit="s", min_=0, description="Duration of the last checkpoint write."), 12, 8)

    d.row("Evaluation")
    d.add(timeseries("Answers per second", targets(
        (f"sum by (run, stage) (ecgbench_eval_answers_per_second{{{sel}}})", "{{run}} {{stage}}")), min_=0), 12, 8)
    d.add(timeseries("Generated tokens per second", targets(
        (f"sum by (run, stage) (ecgbench_eval_tokens_per_second{{{sel}}})", "{{run}} {{stage}}")), min_=0), 12, 8)
    d.add(table("Evaluation results",
                f'label_join(ecgbench_evaluation_result{{{sel}}}, "experiment_run", " / ", "experiment", "run_name")',
                ["experiment_run", "metric"],
                description="Final metrics of finished runs: one row per run (experiment id / run name), one "
                            "column per metric.",
                matrix=("experiment_run", "metric")), 24, 8)

    d.row("GPUs of the experiment's tasks (DCGM)")
    d.add(timeseries("GPU utilisation per task", targets(
        (dcgm_per_task("DCGM_FI_DEV_GPU_UTIL", sel), rank_legend + " {{gpu_uuid}}")),
        unit="percent", min_=0, max_=100,
        description="DCGM_FI_DEV_GPU_UTIL joined to ecgbench_worker_gpu_assignment_info on the GPU UUID."), 8, 8)
    d.add(timeseries("Tensor-core activity per task", targets(
        (dcgm_per_task("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", sel), rank_legend + " {{gpu_uuid}}")),
        unit="percentunit", min_=0, max_=1), 8, 8)
    d.add(timeseries("Framebuffer used per task", targets(
        (dcgm_per_task("DCGM_FI_DEV_FB_USED", sel, " * 1048576"), rank_legend + " {{gpu_uuid}}")),
        unit="bytes", min_=0, description="DCGM_FI_DEV_FB_USED is in MiB."), 8, 8)
    return d


def worker_dashboard():
    d = Dashboard("ecgbench-worker", "ECG-Bench / Worker",
                  "One or more workers: registration, resources, assignments, heartbeats, training "
                  "step time and data-wait share, memory, and their GPUs (DCGM).",
                  [DATASOURCE_VAR, WORKER_VAR, INSTANCE_VAR])
    w = 'instance=~"$instance"'
    task_legend = "{{instance}} {{experiment}}/{{run}} {{stage}} rank {{rank}}"

    d.row("Status")
    d.add(table("Workers", f"ecgbench_worker_info{{{w}}}",
                ["instance", "worker_id", "version", "libtorch_version"]), 12, 6)
    d.add(stat("Registered", targets((f"ecgbench_worker_registered{{{w}}}", "{{instance}}")),
               mappings=YES_NO, thresholds=RED_BELOW_ONE, graph=False), 4, 6)
    d.add(stat("Scrape up", targets((f'up{{job="ecgbench-worker", {w}}}', "{{instance}}")),
               mappings=UP_DOWN, thresholds=RED_BELOW_ONE, graph=False), 4, 6)
    d.add(stat("Assignments running", targets((f"sum(ecgbench_worker_assignments_running{{{w}}})", "running"))), 4, 6)

    d.row("Resources")
    d.add(timeseries("Resident memory vs offered", targets(
        (f"ecgbench_worker_resident_memory_bytes{{{w}}}", "{{instance}} resident"),
        (f"ecgbench_worker_memory_bytes{{{w}}}", "{{instance}} offered")), unit="bytes", min_=0), 12, 8)
    d.add(timeseries("CPU cores offered", targets((f"ecgbench_worker_cpu_cores{{{w}}}", "{{instance}}")),
                     min_=0), 12, 8)

    d.row("Assignments")
    d.add(timeseries("Assignments running", targets(
        (f"ecgbench_worker_assignments_running{{{w}}}", "{{instance}}")), min_=0), 8, 8)
    d.add(timeseries("Assignments finished in the last hour", targets(
        (f"sum by (instance, stage_kind, result) (increase(ecgbench_worker_assignments_finished_total{{{w}}}[1h]))",
         "{{instance}} {{stage_kind}} {{result}}")), min_=0), 8, 8)
    d.add(timeseries("Heartbeat failures (5 min)", targets(
        (f"increase(ecgbench_worker_heartbeat_failures_total{{{w}}}[5m])", "{{instance}}")), min_=0,
        description="EcgbenchWorkerHeartbeatFailing fires above 2 in 10 minutes."), 8, 8)
    d.add(table("Running tasks (progress)", f"ecgbench_worker_task_progress_ratio{{{w}}}",
                ["instance", "experiment", "run", "stage", "task", "rank"], value_name="progress",
                unit="percentunit"), 12, 8)
    d.add(timeseries("Time since last progress", targets(
        (f"time() - ecgbench_worker_task_last_progress_timestamp_seconds{{{w}}}", task_legend)),
        unit="s", min_=0, threshold=1200,
        description="EcgbenchTaskNoProgress fires above 20 minutes; /livez fails at --stall-seconds."), 12, 8)

    d.row("Training and evaluation performance")
    d.add(timeseries("Mean step time", targets(
        (f"rate(ecgbench_train_step_seconds_total{{{w}}}[$__rate_interval]) "
         f"/ rate(ecgbench_train_steps_total{{{w}}}[$__rate_interval])", task_legend)), unit="s", min_=0), 12, 8)
    d.add(timeseries("Data-wait share of step time", targets(
        (f"rate(ecgbench_train_data_wait_seconds_total{{{w}}}[$__rate_interval]) "
         f"/ rate(ecgbench_train_step_seconds_total{{{w}}}[$__rate_interval])", task_legend)),
        unit="percentunit", min_=0, max_=1,
        description="Time spent waiting for the next batch; a high share means the loaders starve the GPU."), 12, 8)
    d.add(timeseries("Tokens per second", targets(
        (f"rate(ecgbench_train_tokens_total{{{w}}}[$__rate_interval])", "train (all ranks) " + task_legend),
        (f"ecgbench_eval_tokens_per_second{{{w}}}", "eval " + task_legend)), min_=0), 12, 8)
    d.add(timeseries("Samples and answers per second", targets(
        (f"ecgbench_train_samples_per_second{{{w}}}", "train (all ranks) " + task_legend),
        (f"ecgbench_eval_answers_per_second{{{w}}}", "eval " + task_legend)), min_=0), 12, 8)

    d.row("GPUs (DCGM)")
    d.add(table("GPUs", f"ecgbench_worker_gpu_info{{{w}}}", ["instance", "gpu_index", "gpu_name", "gpu_uuid"]), 24, 6)
    d.add(timeseries("GPU utilisation", targets(
        (dcgm_per_worker_gpu("DCGM_FI_DEV_GPU_UTIL", w), "{{instance}} GPU {{gpu_index}}")),
        unit="percent", min_=0, max_=100, description="Every GPU of the worker, busy or not."), 8, 8)
    d.add(timeseries("Framebuffer used", targets(
        (dcgm_per_worker_gpu("DCGM_FI_DEV_FB_USED", w, " * 1048576"), "{{instance}} GPU {{gpu_index}}")),
        unit="bytes", min_=0), 8, 8)
    d.add(timeseries("GPU utilisation per task", targets(
        (dcgm_per_task("DCGM_FI_DEV_GPU_UTIL", w), task_legend)), unit="percent", min_=0, max_=100), 8, 8)
    return d


DASHBOARDS = {
    "ecgbench-cluster.json": cluster_dashboard,
    "ecgbench-experiment.json": experiment_dashboard,
    "ecgbench-worker.json": worker_dashboard,
}


def render(builder):
    return json.dumps(builder().to_json(), indent=2, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a dashboard file is not up to date")
    ap.add_argument("--out-dir", default=OUT_DIR)
    args = ap.parse_args()
    stale = []
    for name, builder in DASHBOARDS.items():
        path = os.path.join(args.out_dir, name)
        text = render(builder)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        else:
            os.makedirs(args.out_dir, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("build_dashboards: out of date (run python3 deploy/grafana/build_dashboards.py): "
              + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
