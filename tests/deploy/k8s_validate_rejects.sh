#!/usr/bin/env bash
# Proves that tests/deploy/k8s_validate.sh fails, and for the right reason: builds overlays on a
# copy of deploy/k8s/base that each break one thing (a schema type, an unknown field, an unknown
# kind, a GPU request, a selector, the headless Service, the grace period, a nonexistent flag, the
# scrape job, a broken kustomization) and expects k8s_validate.sh to exit 1 with a line naming
# that overlay, the object and the reason. An unbroken control overlay must pass.
# With --worker BIN, also a flag the built worker does not have.
# Usage: k8s_validate_rejects.sh [--k8s-dir DIR] [--worker BIN]   (default: deploy/k8s here)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
k8s_dir="$here/../../deploy/k8s"
worker_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --k8s-dir) k8s_dir=$2; shift 2 ;;
    --worker) worker_bin=$2; shift 2 ;;
    *) echo "k8s_validate_rejects: unknown argument $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/k8s/overlays"
cp -r "$k8s_dir/base" "$work/k8s/base"

# overlay NAME PATCH_YAML [EXTRA_RESOURCE_YAML]: an overlay of the base with one strategic-merge
# patch (and optionally one extra resource), in kustomize v2.0.3 syntax like the real overlays.
overlay() {
  local dir="$work/k8s/overlays/$1"
  mkdir -p "$dir"
  printf 'bases:\n  - ../../base\n' >"$dir/kustomization.yaml"
  if [ -n "$2" ]; then
    printf '%s\n' "$2" >"$dir/patch.yaml"
    printf 'patchesStrategicMerge:\n  - patch.yaml\n' >>"$dir/kustomization.yaml"
  fi
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" >"$dir/extra.yaml"
    printf 'resources:\n  - extra.yaml\n' >>"$dir/kustomization.yaml"
  fi
}

worker_patch() {  # worker_patch YAML_UNDER_SPEC (indented by 2)
  printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ecgbench-worker\n  namespace: ecgbench\nspec:\n%s\n' "$1"
}
coordinator_patch() {
  printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ecgbench-coordinator\n  namespace: ecgbench\nspec:\n%s\n' "$1"
}

overlay control ""
overlay replicas-not-integer "$(worker_patch '  replicas: two')"
overlay unknown-field "$(worker_patch '  template:
    spec:
      containers:
        - name: worker
          readinesProbe:
            periodSeconds: 10')"
overlay unknown-kind "" 'apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: ecgbench
  labels:
    app.kubernetes.io/part-of: ecgbench'
overlay gpu-in-requests "$(worker_patch '  template:
    spec:
      tolerations:
        - key: nvidia.com/gpu
          operator: Exists
          effect: NoSchedule
      nodeSelector:
        nvidia.com/gpu.present: "true"
      containers:
        - name: worker
          image: ecgbench/worker-cuda:0.1.0
          env:
            - name: NCCL_SOCKET_IFNAME
              value: eth0
            - name: NCCL_DEBUG
              value: WARN
          resources:
            requests:
              nvidia.com/gpu: "1"
            limits:
              nvidia.com/gpu: "1"')"
overlay selector-mismatch "$(worker_patch '  template:
    metadata:
      labels:
        app.kubernetes.io/component: trainer')"
overlay headless-not-published "apiVersion: v1
kind: Service
metadata:
  name: ecgbench-workers
  namespace: ecgbench
spec:
  publishNotReadyAddresses: false"
overlay short-grace "$(worker_patch '  template:
    spec:
      terminationGracePeriodSeconds: 60')"
overlay no-auth "$(coordinator_patch '  template:
    spec:
      containers:
        - name: coordinator
          args:
            - --listen=0.0.0.0:50051
            - --metrics-listen=0.0.0.0:9100
            - --db=/var/lib/ecgbench/db/coordinator.db
            - --tls-cert=/etc/ecgbench/tls/tls.crt
            - --tls-key=/etc/ecgbench/tls/tls.key')"
overlay no-data-root "$(coordinator_patch '  template:
    spec:
      containers:
        - name: coordinator
          args:
            - --listen=0.0.0.0:50051
            - --metrics-listen=0.0.0.0:9100
            - --db=/var/lib/ecgbench/db/coordinator.db
            - --tls-cert=/etc/ecgbench/tls/tls.crt
            - --tls-key=/etc/ecgbench/tls/tls.key
            - --auth-tokens=/etc/ecgbench/tokens/tokens')"
overlay data-root-mismatch "$(coordinator_patch '  template:
    spec:
      containers:
        - name: coordinator
          args:
            - --listen=0.0.0.0:50051
            - --metrics-listen=0.0.0.0:9100
            - --db=/var/lib/ecgbench/db/coordinator.db
            - --tls-cert=/etc/ecgbench/tls/tls.crt
            - --tls-key=/etc/ecgbench/tls/tls.key
            - --auth-tokens=/etc/ecgbench/tokens/tokens
            - --data-root=/data
            - --data-root=/scratch
            - --data-root=/var/lib/ecgbench/artifacts')"
overlay worker-no-data-root "$(worker_patch '  template:
    spec:
      containers:
        - name: worker
          args:
            - --name=$(POD_NAME)
            - --cpus=$(ECGBENCH_CPUS)
            - --memory-bytes=$(ECGBENCH_MEMORY_BYTES)
            - --metrics-listen=0.0.0.0:9101
            - --shutdown-grace-ms=600000
            - --work-dir=/var/lib/ecgbench/work
            - --artifact-root=/var/lib/ecgbench/artifacts
            - --gloo-host=$(POD_IP)
            - --tls-ca=/etc/ecgbench/tls/ca.crt
            - --token-file=/etc/ecgbench/tokens/worker.token')"
overlay grpc-probe-with-tls "$(coordinator_patch '  template:
    spec:
      containers:
        - name: coordinator
          livenessProbe:
            exec: null
            grpc:
              port: 50051')"
overlay wrong-job "apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: ecgbench-worker
  namespace: ecgbench
spec:
  podMetricsEndpoints:
    - port: metrics
      relabelings:
        - action: replace
          targetLabel: job
          replacement: workers"
overlay unknown-worker-flag "$(worker_patch '  template:
    spec:
      containers:
        - name: worker
          args:
            - --name=$(POD_NAME)
            - --cpus=$(ECGBENCH_CPUS)
            - --memory-bytes=$(ECGBENCH_MEMORY_BYTES)
            - --shutdown-grace-ms=600000
            - --work-dir=/var/lib/ecgbench/work
            - --artifact-root=/var/lib/ecgbench/artifacts
            - --gpus=1')"
overlay missing-file ""
printf 'patchesStrategicMerge:\n  - does-not-exist.yaml\n' >>"$work/k8s/overlays/missing-file/kustomization.yaml"

# case|expected text in a line that starts with "overlay CASE: "
cases=(
  "replicas-not-integer|StatefulSet ecgbench/ecgbench-worker: schema: /spec/replicas must be integer"
  "unknown-field|StatefulSet ecgbench/ecgbench-worker: schema: unknown field /spec/template/spec/containers/0/readinesProbe"
  "unknown-kind|Widget ecgbench/w: unknown kind example.com/v1/Widget"
  "gpu-in-requests|nvidia.com/gpu is in resources.requests; GPUs go in limits only"
  "selector-mismatch|StatefulSet ecgbench/ecgbench-worker: spec.selector"
  "headless-not-published|Service ecgbench/ecgbench-workers: publishNotReadyAddresses is not true"
  "short-grace|terminationGracePeriodSeconds 60 is shorter than --shutdown-grace-ms 600000 ms + 30 s"
  "no-auth|Deployment ecgbench/ecgbench-coordinator: no --auth-tokens: the coordinator refuses to listen on 0.0.0.0 without bearer tokens"
  "no-data-root|Deployment ecgbench/ecgbench-coordinator: no --data-root: the coordinator refuses to listen on 0.0.0.0 without roots for the paths in specs"
  "data-root-mismatch|StatefulSet ecgbench/ecgbench-worker: the coordinator accepts spec paths under --data-root /scratch, which the worker refuses"
  "worker-no-data-root|StatefulSet ecgbench/ecgbench-worker: no --data-root: the worker would read any path a spec names"
  "grpc-probe-with-tls|Deployment ecgbench/ecgbench-coordinator: livenessProbe is a gRPC probe, but the kubelet's gRPC probes cannot speak TLS"
  "wrong-job|PodMonitor ecgbench/ecgbench-worker: the relabeling of job does not set it to \"ecgbench-worker\""
  "missing-file|kubectl kustomize"
)
validate_args=()
if [ -n "$worker_bin" ]; then
  cases+=("unknown-worker-flag|StatefulSet ecgbench/ecgbench-worker: argument --gpus is not a flag of ecgbench-worker")
  validate_args+=(--worker "$worker_bin")
fi

passed=0
failures=0
if ! bash "$here/k8s_validate.sh" --k8s-dir "$work/k8s" --overlay control "${validate_args[@]}" >"$work/control.out" 2>&1; then
  cat "$work/control.out"
  echo "k8s_validate_rejects: the unbroken control overlay failed; the cases below would prove nothing"
  exit 1
fi
for entry in "${cases[@]}"; do
  name=${entry%%|*}
  expected=${entry#*|}
  set +e
  bash "$here/k8s_validate.sh" --k8s-dir "$work/k8s" --overlay "$name" "${validate_args[@]}" >"$work/$name.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 1 ] && grep -F "overlay $name: " "$work/$name.out" | grep -qF -- "$expected"; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    echo "k8s_validate_rejects: case $name: expected exit 1 and a line \"overlay $name: ...$expected...\"; got exit $rc:"
    sed 's/^/  /' "$work/$name.out"
  fi
done
echo "k8s_validate_rejects: $passed of ${#cases[@]} broken overlays rejected for the expected reason"
[ "$failures" -eq 0 ]
