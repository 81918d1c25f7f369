#!/usr/bin/env bash
# Checks deploy/prometheus and deploy/grafana without any server: promtool validates the scrape
# configuration, the rules and their unit tests; Python lints the dashboards and checks that every
# PromQL expression reads only catalogued metrics and returns data on synthetic series.
#
# Usage: prom_rules_test.sh [rules|dashboards|data|all]   (default all; ctest runs each step)
# Needs: promtool (Debian package prometheus) and python3 with PyYAML (python3-yaml); both are
# installed by scripts/install-deps.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STEP=${1:-all}
PY=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1
cd "$ROOT"
case "$STEP" in rules|dashboards|data|all) ;; *) echo "prom_rules_test: unknown step '$STEP' (rules|dashboards|data|all)" >&2; exit 2 ;; esac

command -v promtool >/dev/null || { echo "prom_rules_test: promtool not found (apt-get install prometheus; see scripts/install-deps.sh)" >&2; exit 1; }
"$PY" -c 'import yaml' 2>/dev/null || { echo "prom_rules_test: $PY cannot import yaml (apt-get install python3-yaml)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run() { echo "+ $*"; "$@"; }

if [ "$STEP" = rules ] || [ "$STEP" = all ]; then
  run promtool check config deploy/prometheus/prometheus.yml
  run promtool check rules deploy/prometheus/rules/*.yml
  run promtool test rules deploy/prometheus/tests/*.yml
  run "$PY" tests/deploy/prom_alert_coverage.py
fi

if [ "$STEP" = dashboards ] || [ "$STEP" = all ]; then
  run "$PY" deploy/grafana/build_dashboards.py --check
  run "$PY" tests/deploy/grafana_lint.py
  run "$PY" tests/deploy/promql_exprs.py --check
  # Syntax of every expression (template variables substituted) through Prometheus's own parser.
  run "$PY" tests/deploy/promql_exprs.py --as-rules "$TMP/exprs-as-rules.yml"
  run promtool check rules "$TMP/exprs-as-rules.yml"
fi

if [ "$STEP" = data ] || [ "$STEP" = all ]; then
  run "$PY" tests/deploy/prom_exprs_data.py "$TMP/data"
  run promtool test rules "$TMP/data/exprs-data-test.yml"
fi

echo "prom_rules_test: $STEP OK"
