#!/usr/bin/env python3
"""Every PromQL expression of the ECG-Bench Prometheus rules and Grafana dashboards, ready to run.

Default: prints one JSON list of {"source", "kind", "expr", "metrics"} to stdout, where
  kind    is "alert" or "record" (deploy/prometheus/rules/*.yml), "panel" (a dashboard target) or
          "variable" (the series selector behind a dashboard template variable);
  expr    has Grafana's template variables substituted: $experiment, $run, $worker, $instance
          (always inside =~"..." matchers) become .+ ; $__rate_interval and $__interval become 1m,
          $__range 1h;
  metrics lists the metric names it reads (deploy/prometheus/metrics-catalogue.txt or recorded).
Alerts are expected to evaluate without error (they are usually empty); the other kinds return data
once the metrics they read exist.

--check     lints instead: every metric is in the catalogue (histograms: _bucket/_sum/_count) or is
            a recording rule; every label matcher names a label the catalogue lists for that
            metric (or job, instance, le); every template variable is defined and used only inside
            a regex matcher; every selector names its metric. Exit 1 with one line per problem.
--as-rules F writes the expressions as recording rules (for `promtool check rules`: a syntax check).
--raw       prints the expressions without substitution.
"""
import argparse
import glob
import json
import os
import re
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CATALOGUE = os.path.join(REPO, "deploy", "prometheus", "metrics-catalogue.txt")
RULES_GLOB = os.path.join(REPO, "deploy", "prometheus", "rules", "*.yml")
DASHBOARDS_GLOB = os.path.join(REPO, "deploy", "grafana", "dashboards", "*.json")

# Dashboard variables that select label values (used as regexes) and Grafana's built-in intervals.
SELECTION_VARS = {"experiment", "run", "worker", "instance"}
BUILTIN_VARS = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan", "atan2",
            # aggregation operators (their "by (...)" may come before the parenthesis)
            "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk",
            "quantile", "count_values"}
VAR_RE = re.compile(r"\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)")


def load_catalogue(path=CATALOGUE):
    """{name: {"type", "job", "labels"}} from the catalogue file; raises ValueError naming the line."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) != 4 or fields[1] not in ("gauge", "counter", "histogram"):
                raise ValueError(f"{path}:{n}: expected '<name> <gauge|counter|histogram> <job> <labels>'")
            if fields[0] in out:
                raise ValueError(f"{path}:{n}: {fields[0]} listed twice")
            labels = [] if fields[3] == "-" else fields[3].split(",")
            out[fields[0]] = {"type": fields[1], "job": fields[2], "labels": labels}
    return out


def series_names(catalogue):
    """Every series name the catalogue allows (a histogram's _bucket, _sum, _count)."""
    names = set()
    for name, m in catalogue.items():
        if m["type"] == "histogram":
            names.update(name + s for s in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names


def metric_names(expr):
    """The metric names an expression reads, and a list of problems (name-less selectors)."""
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    s = re.sub(r"\{[^{}]*\}", "{}", s)
    s = re.sub(r"\[[^\[\]]*\]", "[]", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", r"\1", s)
    problems = []
    if re.search(r"(^|[^\w:\s])\s*\{\}", s):
        problems.append("a selector without a metric name")
    names = set()
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)", s):
        word = m.group(1)
        if word.lower() in KEYWORDS or re.match(r"\s*\(", s[m.end():]):
            continue
        names.add(word)
    return names, problems


def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in SELECTION_VARS:
            return ".+"
        if name in BUILTIN_VARS:
            return BUILTIN_VARS[name]
        return m.group(0)
    return VAR_RE.sub(repl, expr)


def variable_expr(query):
    """The PromQL behind a Grafana Prometheus variable query, or None for label_values(label)."""
    q = query["query"] if isinstance(query, dict) else query
    q = q.strip()
    m = re.fullmatch(r"label_values\((.*),\s*\w+\s*\)", q, re.S)
    if m:
        return m.group(1).strip()
    if re.fullmatch(r"label_values\(\s*\w+\s*\)", q):
        return None
    m = re.fullmatch(r"query_result\((.*)\)", q, re.S)
    if m:
        return m.group(1).strip()
    raise ValueError(f"unsupported variable query {q!r}")


def _panels(panels):
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def collect(repo=REPO):
    """[{source, kind, raw}] for every rule and dashboard expression."""
    items = []
    for path in sorted(glob.glob(RULES_GLOB.replace(REPO, repo, 1))):
        rel = os.path.relpath(path, repo)
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                kind = "alert" if "alert" in rule else "record"
                items.append({"source": f"{rel}#{kind} {rule[kind]}", "kind": kind, "raw": rule["expr"].strip()})
    for path in sorted(glob.glob(DASHBOARDS_GLOB.replace(REPO, repo, 1))):
        rel = os.path.relpath(path, repo)
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            expr = variable_expr(var["query"])
            if expr:
                items.append({"source": f"{rel}#variable {var['name']}", "kind": "variable", "raw": expr})
        for panel in _panels(dash.get("panels", [])):
            for t in panel.get("targets", []):
                items.append({"source": f"{rel}#panel {panel.get('id')} '{panel.get('title')}' target {t.get('refId')}",
                              "kind": "panel", "raw": t.get("expr", "").strip()})
    return items


def recorded_names(items):
    return {i["source"].split("#record ", 1)[1] for i in items if i["kind"] == "record"}


def matcher_problems(expr, catalogue):
    """Label matchers naming a label the catalogue does not list for that metric (a misspelt
    matcher such as codes!~"..." silently matches every series)."""
    problems = []
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}", expr):
        name, body = m.group(1), m.group(2)
        base, extra = name, {"job", "instance", "__name__"}
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and catalogue.get(name[: -len(suffix)], {}).get("type") == "histogram":
                base = name[: -len(suffix)]
                extra.add("le")
        if base not in catalogue:
            continue  # recorded series, or already reported as not catalogued
        for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)\s*\"", body):
            if label not in extra and label not in catalogue[base]["labels"]:
                problems.append(f"{name} has no label {label} (catalogue: {', '.join(catalogue[base]['labels']) or 'none'})")
    return problems


def check(items, catalogue):
    """Problems as 'source: message' lines."""
    allowed = series_names(catalogue) | recorded_names(items)
    problems = []
    for i in items:
        raw = i["raw"]
        if not raw:
            problems.append(f"{i['source']}: empty expression")
            continue
        for m in VAR_RE.finditer(raw):
            name = m.group(1) or m.group(2)
            if name in SELECTION_VARS:
                continue
            if name in BUILTIN_VARS:
                if not re.search(r"\[\s*" + re.escape(m.group(0)) + r"\s*\]", raw):
                    problems.append(f"{i['source']}: {m.group(0)} outside a range [...]")
                continue
            if name.isdigit():
                continue  # label_replace's "$1" (Grafana leaves unknown variables alone)
            problems.append(f"{i['source']}: unknown template variable {m.group(0)}")
        for name in SELECTION_VARS:
            uses = len(re.findall(r"\$\{?" + name + r"\b", raw))
            in_regex = len(re.findall(r'=~\s*"[^"]*\$\{?' + name + r'\b[^"]*"', raw))
            if uses != in_regex:
                problems.append(f"{i['source']}: ${name} must only appear in a =~\"...\" matcher")
        names, selector_problems = metric_names(substitute(raw))
        problems += [f"{i['source']}: {p}" for p in selector_problems]
        problems += [f"{i['source']}: {p}" for p in matcher_problems(substitute(raw), catalogue)]
        for n in sorted(names - allowed):
            problems.append(f"{i['source']}: metric {n} is not in deploy/prometheus/metrics-catalogue.txt")
        if not names:
            problems.append(f"{i['source']}: reads no metric")
    return problems


def main():
    ap = argparse.ArgumentParser(description="PromQL expressions of the ECG-Bench rules and dashboards")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--as-rules", metavar="FILE")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--repo", default=REPO)
    args = ap.parse_args()
    try:
        catalogue = load_catalogue(os.path.join(args.repo, "deploy", "prometheus", "metrics-catalogue.txt"))
        items = collect(args.repo)
    except (OSError, ValueError, KeyError, yaml.YAMLError, json.JSONDecodeError) as e:
        print(f"promql_exprs: {e}", file=sys.stderr)
        return 1
    if args.check:
        problems = check(items, catalogue)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"promql_exprs: {len(items)} expressions, {len(problems)} problems")
        return 1 if problems else 0
    if args.as_rules:
        rules = [{"record": f"ecgbench_lint:expr_{n}", "expr": substitute(i["raw"])} for n, i in enumerate(items)]
        with open(args.as_rules, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "ecgbench-lint", "rules": rules}]}, f, sort_keys=False)
        return 0
    out = []
    for i in items:
        expr = i["raw"] if args.raw else substitute(i["raw"])
        out.append({"source": i["source"], "kind": i["kind"], "expr": expr,
                    "metrics": sorted(metric_names(substitute(i["raw"]))[0])})
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
