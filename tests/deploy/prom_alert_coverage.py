#!/usr/bin/env python3
"""Checks that the ECG-Bench alert and recording rules are tested and documented.

For every alert in deploy/prometheus/rules/*.yml: a severity label (critical, warning or info), a
component label, summary/description/runbook annotations, a runbook that points at its section of
docs/observability-rules.md, that section (a heading with the alert's name), and in
deploy/prometheus/tests/*.yml at least one alert_rule_test where it fires and one where it must
not. For every recording rule: a promql_expr_test whose expression reads it.

Exit 1 with one line per problem.
"""
import glob
import os
import re
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SEVERITIES = {"critical", "warning", "info"}


def main():
    problems = []
    alerts, records = {}, []
    for path in sorted(glob.glob(os.path.join(REPO, "deploy", "prometheus", "rules", "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f).get("groups", []):
                for rule in group.get("rules", []):
                    if "alert" in rule:
                        alerts[rule["alert"]] = rule
                    else:
                        records.append(rule["record"])

    firing, silent, tested_exprs = set(), set(), []
    for path in sorted(glob.glob(os.path.join(REPO, "deploy", "prometheus", "tests", "*.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for test in doc.get("tests", []):
            for t in test.get("alert_rule_test", []) or []:
                (firing if t.get("exp_alerts") else silent).add(t.get("alertname"))
            tested_exprs += [t.get("expr", "") for t in test.get("promql_expr_test", []) or []]

    doc_path = os.path.join(REPO, "docs", "observability-rules.md")
    try:
        with open(doc_path, encoding="utf-8") as f:
            headings = {m.group(1) for m in re.finditer(r"^#+\s+`?(\w+)`?\s*$", f.read(), re.M)}
    except OSError as e:
        problems.append(f"docs/observability-rules.md: {e}")
        headings = set()

    for name, rule in alerts.items():
        labels, ann = rule.get("labels", {}), rule.get("annotations", {})
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"alert {name}: severity label must be one of {sorted(SEVERITIES)}")
        if not labels.get("component"):
            problems.append(f"alert {name}: no component label")
        for key in ("summary", "description", "runbook"):
            if not ann.get(key):
                problems.append(f"alert {name}: no {key} annotation")
        if f"docs/observability-rules.md#{name.lower()}" not in ann.get("runbook", ""):
            problems.append(f"alert {name}: runbook must point at docs/observability-rules.md#{name.lower()}")
        if headings and name not in headings:
            problems.append(f"alert {name}: docs/observability-rules.md has no '### {name}' section")
        if name not in firing:
            problems.append(f"alert {name}: no promtool test where it fires")
        if name not in silent:
            problems.append(f"alert {name}: no promtool test where it must not fire")
    for name in records:
        if not any(name in e for e in tested_exprs):
            problems.append(f"recording rule {name}: no promql_expr_test reads it")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"prom_alert_coverage: {len(alerts)} alerts, {len(records)} recording rules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
