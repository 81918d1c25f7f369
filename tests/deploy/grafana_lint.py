#!/usr/bin/env python3
"""Lints the ECG-Bench Grafana dashboards and provisioning files (deploy/grafana).

Dashboards: valid JSON with a unique uid, a title, the tag ecgbench and a schemaVersion Grafana 10
reads; a `datasource` variable of type datasource (query prometheus); every other variable is a
Prometheus query variable on ${datasource}; every variable used anywhere is defined; panel ids are
unique; every panel lies on the 24-column grid, has a datasource on ${datasource} and targets, each
with a unique refId, a datasource and a non-empty expr. The experiment picker's regex (Grafana
named groups) is exercised on a sample query_result line. Provisioning: apiVersion 1, a Prometheus
data source, and a file provider for the dashboards.

Exit 1 with one line per problem (file and the panel or field named).
"""
import glob
import json
import os
import re
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GRAFANA = os.path.join(REPO, "deploy", "grafana")
BUILTIN_VARS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__all",
                "__from", "__to", "__dashboard", "__org", "__user", "timeFilter"}
VAR_RE = re.compile(r"\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]")
DS_UID = "${datasource}"
MIN_SCHEMA = 36  # Grafana 9.x; 38 is Grafana 10.0


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def used_variables(obj):
    """Variable names referenced in any string of obj (except label_replace's "$1")."""
    names = set()
    if isinstance(obj, dict):
        for v in obj.values():
            names |= used_variables(v)
    elif isinstance(obj, list):
        for v in obj:
            names |= used_variables(v)
    elif isinstance(obj, str):
        for m in VAR_RE.finditer(obj):
            name = m.group(1) or m.group(2) or m.group(3)
            if not name.isdigit():
                names.add(name)
    return names


def check_experiment_regex(var, where, problems):
    """Grafana applies the regex to each query_result line; value and text come from named groups."""
    regex = var.get("regex", "")
    if not regex:
        return
    m = re.fullmatch(r"/(.*)/([gimsuy]*)", regex, re.S)
    if not m:
        problems.append(f"{where}: regex {regex!r} is not /.../")
        return
    py = m.group(1).replace("(?<", "(?P<")
    # Labels sorted by name, as Prometheus returns them; Kubernetes relabelling may add some.
    line = ('ecgbench_experiment_info{experiment="exp-0042",instance="coordinator:9100",'
            'job="ecgbench-coordinator",name="ptbxl-lora",namespace="ecgbench",pod_name="coordinator-0",'
            'state="running"} 1 1700000000000')
    found = re.search(py, line)
    if not found or found.groupdict() != {"value": "exp-0042", "text": "ptbxl-lora"}:
        problems.append(f"{where}: regex {regex!r} does not take value=experiment and text=name "
                        f"from a query_result line (got {found.groupdict() if found else None})")


def lint_dashboard(path, uids, problems):
    rel = os.path.relpath(path, REPO)
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        problems.append(f"{rel}: {e}")
        return
    for key in ("uid", "title", "panels", "templating", "schemaVersion"):
        if key not in dash:
            problems.append(f"{rel}: missing {key}")
    if not isinstance(dash.get("panels"), list) or not isinstance(dash.get("templating"), dict):
        return
    uid = dash.get("uid")
    if uid in uids:
        problems.append(f"{rel}: uid {uid} also used by {uids[uid]}")
    uids[uid] = rel
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < MIN_SCHEMA:
        problems.append(f"{rel}: schemaVersion {dash.get('schemaVersion')} < {MIN_SCHEMA}")
    if "ecgbench" not in dash.get("tags", []):
        problems.append(f"{rel}: tag ecgbench missing (the dashboards' links use it)")
    if dash.get("id") is not None:
        problems.append(f"{rel}: id must be null (Grafana assigns it on import)")

    variables = dash["templating"].get("list", [])
    defined = {v.get("name") for v in variables}
    ds_vars = [v for v in variables if v.get("name") == "datasource"]
    if not ds_vars or ds_vars[0].get("type") != "datasource" or ds_vars[0].get("query") != "prometheus":
        problems.append(f"{rel}: needs a variable 'datasource' of type datasource with query 'prometheus'")
    for v in variables:
        where = f"{rel}: variable {v.get('name')}"
        if v.get("type") == "datasource":
            continue
        if v.get("type") != "query":
            problems.append(f"{where}: type {v.get('type')} (expected query)")
            continue
        if v.get("datasource") != {"type": "prometheus", "uid": DS_UID}:
            problems.append(f"{where}: datasource must be {{type: prometheus, uid: {DS_UID}}}")
        query = v.get("query")
        text = query.get("query") if isinstance(query, dict) else query
        if not text or v.get("definition") != text:
            problems.append(f"{where}: query and definition must be the same non-empty text")
        if v.get("name") == "experiment":
            check_experiment_regex(v, where, problems)
    for name in sorted(used_variables(variables) - defined - BUILTIN_VARS):
        problems.append(f"{rel}: a variable query uses ${name}, which is not defined")

    ids = {}
    for p in walk_panels(dash["panels"]):
        title = p.get("title", "")
        pid = p.get("id")
        where = f"{rel}: panel {pid} '{title}'"
        if not isinstance(pid, int):
            problems.append(f"{where}: id must be an integer")
        elif pid in ids:
            problems.append(f"{where}: duplicate id (also '{ids[pid]}')")
        ids[pid] = title
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")) or g["x"] + g["w"] > 24 or g["w"] <= 0:
            problems.append(f"{where}: gridPos {g} is not on the 24-column grid")
        if not title:
            problems.append(f"{where}: no title")
        if p.get("type") == "row":
            continue
        if p.get("datasource") != {"type": "prometheus", "uid": DS_UID}:
            problems.append(f"{where}: datasource must be {{type: prometheus, uid: {DS_UID}}}")
        tgts = p.get("targets") or []
        if not tgts:
            problems.append(f"{where}: no targets")
        refs = set()
        for t in tgts:
            if t.get("refId") in refs or not t.get("refId"):
                problems.append(f"{where}: missing or duplicate refId {t.get('refId')}")
            refs.add(t.get("refId"))
            if t.get("datasource") != {"type": "prometheus", "uid": DS_UID}:
                problems.append(f"{where} target {t.get('refId')}: datasource must be ${{datasource}}")
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                problems.append(f"{where} target {t.get('refId')}: empty expr")
        for name in sorted(used_variables(p) - defined - BUILTIN_VARS):
            problems.append(f"{where}: uses ${name}, which is not defined")


def lint_provisioning(problems):
    ds_files = sorted(glob.glob(os.path.join(GRAFANA, "provisioning", "datasources", "*.yaml")))
    db_files = sorted(glob.glob(os.path.join(GRAFANA, "provisioning", "dashboards", "*.yaml")))
    if not ds_files or not db_files:
        problems.append("deploy/grafana/provisioning: needs datasources/*.yaml and dashboards/*.yaml")
    for path in ds_files + db_files:
        rel = os.path.relpath(path, REPO)
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            problems.append(f"{rel}: {e}")
            continue
        if not isinstance(doc, dict) or doc.get("apiVersion") != 1:
            problems.append(f"{rel}: apiVersion must be 1")
            continue
        if path in ds_files:
            dss = doc.get("datasources") or []
            if not any(d.get("type") == "prometheus" and d.get("url") and d.get("name") for d in dss):
                problems.append(f"{rel}: no Prometheus data source with a name and url")
        else:
            provs = doc.get("providers") or []
            if not any(p.get("type") == "file" and (p.get("options") or {}).get("path") for p in provs):
                problems.append(f"{rel}: no file provider with options.path")


def main():
    problems = []
    uids = {}
    paths = sorted(glob.glob(os.path.join(GRAFANA, "dashboards", "*.json")))
    if len(paths) < 3:
        problems.append("deploy/grafana/dashboards: expected the cluster, experiment and worker dashboards")
    for path in paths:
        lint_dashboard(path, uids, problems)
    lint_provisioning(problems)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"grafana_lint: {len(paths)} dashboards, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
