// Deployment rules for the rendered manifests of deploy/k8s that no OpenAPI schema expresses:
// references between objects (selectors, Services, volumes, priority classes), security settings,
// resources, probes, and the coordinator/worker facts of issue 9 (ports, flags, grace periods,
// shared artifact volume, GPU placement, scrape job names).
// checkRules(objects, {profile: 'cpu'|'gpu', flags: {coordinator, worker}}) returns a list of
// "KIND NAMESPACE/NAME: reason" strings; empty when every rule holds. Never throws on odd input.
'use strict';

const CLUSTER_SCOPED = new Set(['Namespace', 'PriorityClass', 'ClusterRole', 'ClusterRoleBinding',
  'StorageClass', 'PersistentVolume', 'CustomResourceDefinition', 'RuntimeClass']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
const RUNTIME_UID = 10001;
// Secrets the operator creates from generated key material (docs/deploy.md, docs/security.md).
const OPERATOR_SECRETS = new Set(['ecgbench-tls', 'ecgbench-tokens']);
const COORDINATOR = { grpcPort: 50051, metricsPort: 9100, job: 'ecgbench-coordinator' };
const WORKER = { metricsPort: 9101, job: 'ecgbench-worker', defaultGraceMs: 30000, graceMarginMs: 30000,
  minLivenessSeconds: 300 };
const ARTIFACT_ROOT = '/var/lib/ecgbench/artifacts';
const GPU = 'nvidia.com/gpu';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v) => (Array.isArray(v) ? v : []);
const get = (o, ...path) => path.reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), o);

function describe(o) {
  const meta = (o && o.metadata) || {};
  return `${o.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
}

// Kubernetes quantity ("2", "500m", "4Gi", "1e3") -> number; NaN when malformed.
function quantity(q) {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(String(q));
  if (!m) return NaN;
  const scale = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20,
    Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

function selects(selector, labels) {
  if (!isObj(selector) || !isObj(labels)) return false;
  const match = selector.matchLabels || {};
  const exprs = arr(selector.matchExpressions);
  if (Object.keys(match).length === 0 && exprs.length === 0) return false;  // selects everything: refuse
  for (const [k, v] of Object.entries(match)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = arr(e.values);
    if (e.operator === 'In' && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// Flags of an argument list: {name: value} for "--x=v" and "--x v" ("" for bare flags).
function parseFlags(args) {
  const flags = new Map();
  const list = arr(args).map(String);
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
    else if (i + 1 < list.length && !list[i + 1].startsWith('--')) flags.set(a, list[++i]);
    else flags.set(a, '');
  }
  return flags;
}

// Every value of a repeatable flag ("--x=v" and "--x v"), in order.
function flagValues(args, name) {
  const values = [];
  const list = arr(args).map(String);
  for (let i = 0; i < list.length; i++) {
    if (list[i].startsWith(`${name}=`)) values.push(list[i].slice(name.length + 1));
    else if (list[i] === name && i + 1 < list.length && !list[i + 1].startsWith('--')) values.push(list[++i]);
  }
  return values;
}

const portOf = (address) => {
  const m = /:([0-9]+)$/.exec(String(address));
  return m ? Number(m[1]) : NaN;
};

class Checker {
  constructor(objects, options) {
    this.objects = objects.filter(isObj);
    this.profile = options.profile;
    this.flags = options.flags || {};
    this.problems = [];
  }

  fail(obj, reason) {
    this.problems.push(`${describe(obj)}: ${reason}`);
  }

  find(kind, namespace, name) {
    return this.objects.find((o) => o.kind === kind && get(o, 'metadata', 'name') === name &&
      (CLUSTER_SCOPED.has(kind) || get(o, 'metadata', 'namespace') === namespace));
  }

  ofKind(kind) {
    return this.objects.filter((o) => o.kind === kind);
  }

  run() {
    this.checkMetadata();
    const workloads = this.objects.filter((o) => WORKLOADS.has(o.kind));
    for (const w of workloads) this.checkWorkload(w);
    for (const s of this.ofKind('Service')) this.checkService(s, workloads);
    for (const p of this.ofKind('PodDisruptionBudget')) this.checkSelectsPods(p, get(p, 'spec', 'selector'), workloads);
    const coordinators = workloads.filter((w) => get(w, 'metadata', 'labels', 'app.kubernetes.io/component') === 'coordinator');
    const workers = workloads.filter((w) => get(w, 'metadata', 'labels', 'app.kubernetes.io/component') === 'worker');
    if (coordinators.length !== 1 || coordinators[0].kind !== 'Deployment') {
      this.problems.push(`expected exactly one Deployment labelled app.kubernetes.io/component=coordinator, found ${coordinators.map(describe).join(', ') || 'none'}`);
    }
    if (workers.length !== 1 || workers[0].kind !== 'StatefulSet') {
      this.problems.push(`expected exactly one StatefulSet labelled app.kubernetes.io/component=worker, found ${workers.map(describe).join(', ') || 'none'}`);
    }
    const coordinator = coordinators.find((c) => c.kind === 'Deployment');
    const worker = workers.find((w) => w.kind === 'StatefulSet');
    if (coordinator) this.checkCoordinator(coordinator);
    if (worker) this.checkWorker(worker, coordinator);
    return this.problems;
  }

  checkMetadata() {
    const seen = new Set();
    for (const o of this.objects) {
      const ns = get(o, 'metadata', 'namespace');
      if (CLUSTER_SCOPED.has(o.kind) && ns !== undefined) this.fail(o, `cluster-scoped kind has metadata.namespace ${ns}`);
      if (!CLUSTER_SCOPED.has(o.kind) && !ns) this.fail(o, 'namespaced kind has no metadata.namespace');
      if (get(o, 'metadata', 'labels', 'app.kubernetes.io/part-of') !== 'ecgbench') {
        this.fail(o, 'label app.kubernetes.io/part-of: ecgbench is missing');
      }
      const key = `${o.apiVersion}/${o.kind}/${ns}/${get(o, 'metadata', 'name')}`;
      if (seen.has(key)) this.fail(o, 'defined twice');
      seen.add(key);
    }
  }

  podLabels(w) {
    return get(w, 'spec', 'template', 'metadata', 'labels') || {};
  }

  checkSelectsPods(obj, selector, workloads) {
    const ns = get(obj, 'metadata', 'namespace');
    const hits = workloads.filter((w) => get(w, 'metadata', 'namespace') === ns && selects(selector, this.podLabels(w)));
    if (hits.length === 0) this.fail(obj, `selector ${JSON.stringify(selector)} matches the pods of no workload`);
    return hits;
  }

  checkWorkload(w) {
    const ns = get(w, 'metadata', 'namespace');
    const spec = get(w, 'spec', 'template', 'spec') || {};
    if (!selects(get(w, 'spec', 'selector'), this.podLabels(w))) {
      this.fail(w, `spec.selector ${JSON.stringify(get(w, 'spec', 'selector'))} does not match the pod template labels ${JSON.stringify(this.podLabels(w))}`);
    }
    const psc = spec.securityContext || {};
    if (psc.runAsNonRoot !== true) this.fail(w, 'pod securityContext.runAsNonRoot is not true');
    if (psc.runAsUser !== RUNTIME_UID) this.fail(w, `pod securityContext.runAsUser is ${psc.runAsUser}, the images run as uid ${RUNTIME_UID}`);
    if (typeof psc.fsGroup !== 'number') this.fail(w, 'pod securityContext.fsGroup is not set (volumes would not be writable by the runtime user)');
    if (spec.automountServiceAccountToken !== false) this.fail(w, 'pod mounts a Kubernetes API token (automountServiceAccountToken is not false) though it never calls the API');
    if (!spec.serviceAccountName || !this.find('ServiceAccount', ns, spec.serviceAccountName)) {
      this.fail(w, `serviceAccountName ${spec.serviceAccountName} is not a ServiceAccount of the manifests`);
    }
    if (!spec.priorityClassName || !this.find('PriorityClass', ns, spec.priorityClassName)) {
      this.fail(w, `priorityClassName ${spec.priorityClassName} is not a PriorityClass of the manifests`);
    }
    const volumes = new Map(arr(spec.volumes).filter(isObj).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      const claim = get(v, 'persistentVolumeClaim', 'claimName');
      if (claim !== undefined && !this.find('PersistentVolumeClaim', ns, claim)) {
        this.fail(w, `volume ${v.name}: PersistentVolumeClaim ${claim} is not in the manifests`);
      }
      const secret = v.secret;
      // ecgbench-tls and ecgbench-tokens hold key material: the operator creates them
      // (docs/deploy.md), they are never in the manifests.
      if (secret && !secret.optional && !OPERATOR_SECRETS.has(secret.secretName) && !this.find('Secret', ns, secret.secretName)) {
        this.fail(w, `volume ${v.name}: Secret ${secret.secretName} is neither in the manifests nor optional`);
      }
      const cm = v.configMap;
      if (cm && !cm.optional && !this.find('ConfigMap', ns, cm.name)) {
        this.fail(w, `volume ${v.name}: ConfigMap ${cm.name} is neither in the manifests nor optional`);
      }
    }
    for (const c of arr(spec.containers).filter(isObj)) this.checkContainer(w, c, volumes, true);
    for (const c of arr(spec.initContainers).filter(isObj)) this.checkContainer(w, c, volumes, false);
  }

  checkContainer(w, c, volumes, needsProbes) {
    const where = `container ${c.name}`;
    if (!/(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$/.test(String(c.image)) || /:latest$/.test(String(c.image))) {
      this.fail(w, `${where}: image ${c.image} has no fixed tag or digest`);
    }
    const req = get(c, 'resources', 'requests') || {};
    const lim = get(c, 'resources', 'limits') || {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] === undefined || lim[r] === undefined) {
        this.fail(w, `${where}: resources need requests.${r} and limits.${r}`);
      } else if (!(quantity(req[r]) === quantity(lim[r]))) {
        this.fail(w, `${where}: requests.${r} ${req[r]} differs from limits.${r} ${lim[r]} (Guaranteed QoS: what the worker offers is what it gets)`);
      }
    }
    if (req[GPU] !== undefined) this.fail(w, `${where}: ${GPU} is in resources.requests; GPUs go in limits only`);
    if (lim[GPU] !== undefined && !(Number.isInteger(quantity(lim[GPU])) && quantity(lim[GPU]) >= 1)) {
      this.fail(w, `${where}: limits.${GPU} ${lim[GPU]} is not a whole number of GPUs >= 1`);
    }
    if (needsProbes) {
      for (const p of ['readinessProbe', 'livenessProbe']) if (!isObj(c[p])) this.fail(w, `${where}: no ${p}`);
    }
    const ports = arr(c.ports);
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = c[p];
      if (!isObj(probe)) continue;
      const port = get(probe, 'httpGet', 'port') ?? get(probe, 'tcpSocket', 'port') ?? get(probe, 'grpc', 'port');
      if (port !== undefined && this.resolvePort(ports, port) === undefined) {
        this.fail(w, `${where}: ${p} port ${port} is not a port of the container`);
      }
    }
    const sc = c.securityContext || {};
    if (sc.allowPrivilegeEscalation !== false) this.fail(w, `${where}: securityContext.allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) this.fail(w, `${where}: securityContext.readOnlyRootFilesystem is not true`);
    if (!arr(get(sc, 'capabilities', 'drop')).includes('ALL')) this.fail(w, `${where}: securityContext.capabilities.drop does not include ALL`);
    if (sc.privileged === true || sc.runAsUser === 0) this.fail(w, `${where}: runs privileged or as root`);
    const paths = new Set();
    for (const m of arr(c.volumeMounts)) {
      if (!volumes.has(m.name)) this.fail(w, `${where}: volumeMount ${m.name} names no volume of the pod`);
      if (paths.has(m.mountPath)) this.fail(w, `${where}: two volumes mounted at ${m.mountPath}`);
      paths.add(m.mountPath);
    }
    // $(VAR) references: the kubelet leaves an undefined one as the literal text.
    const env = arr(c.env).filter(isObj);
    const defined = new Set();
    for (const e of env) {
      for (const ref of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        if (!defined.has(ref[1])) this.fail(w, `${where}: env ${e.name} refers to $(${ref[1]}), which is not defined before it`);
      }
      const field = get(e, 'valueFrom', 'resourceFieldRef', 'resource');
      if (field !== undefined) {
        const [kind, res] = String(field).split('.');
        const set = kind === 'limits' ? lim : kind === 'requests' ? req : {};
        if (set[res] === undefined) this.fail(w, `${where}: env ${e.name} reads ${field}, which the container does not set`);
      }
      defined.add(e.name);
    }
    for (const a of [...arr(c.command), ...arr(c.args)]) {
      for (const ref of String(a).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        if (!defined.has(ref[1])) this.fail(w, `${where}: argument ${a} refers to $(${ref[1]}), which is not in the container's env`);
      }
    }
  }

  resolvePort(ports, port) {
    if (typeof port === 'number') return ports.find((p) => p.containerPort === port) ? port : undefined;
    const p = ports.find((q) => q.name === port);
    return p ? p.containerPort : undefined;
  }

  checkService(s, workloads) {
    if (!isObj(get(s, 'spec', 'selector'))) {
      this.fail(s, 'Service has no selector');
      return;
    }
    const hits = this.checkSelectsPods(s, { matchLabels: s.spec.selector }, workloads);
    for (const w of hits) {
      const ports = arr(get(w, 'spec', 'template', 'spec', 'containers')).flatMap((c) => arr(c.ports));
      for (const p of arr(s.spec.ports)) {
        const target = p.targetPort ?? p.port;
        if (this.resolvePort(ports, target) === undefined) {
          this.fail(s, `port ${p.name}: targetPort ${target} is not a container port of ${describe(w)}`);
        }
      }
    }
  }

  container(w, name) {
    const cs = arr(get(w, 'spec', 'template', 'spec', 'containers'));
    return cs.find((c) => c.name === name) || cs[0] || {};
  }

  // The PVC behind the volume mounted at `path` in container c of workload w, or undefined.
  claimAt(w, c, path) {
    const m = arr(c.volumeMounts).find((v) => v.mountPath === path);
    const vol = m && arr(get(w, 'spec', 'template', 'spec', 'volumes')).find((v) => v.name === m.name);
    return vol ? get(vol, 'persistentVolumeClaim', 'claimName') : undefined;
  }

  // The volume whose mount holds `path` (longest mountPath prefix), or undefined.
  volumeHolding(w, c, path) {
    let best;
    for (const m of arr(c.volumeMounts)) {
      const mp = String(m.mountPath).replace(/\/$/, '');
      if ((path === mp || path.startsWith(`${mp}/`)) && (!best || mp.length > best.mountPath.length)) best = m;
    }
    return best && arr(get(w, 'spec', 'template', 'spec', 'volumes')).find((v) => v.name === best.name);
  }

  checkKnownFlags(w, flags, known, binary) {
    if (!known) return;
    for (const f of flags.keys()) {
      if (!known.has(f)) this.fail(w, `argument ${f} is not a flag of ${binary} (its --help does not list it)`);
    }
  }

  checkCoordinator(d) {
    const ns = get(d, 'metadata', 'namespace');
    if (get(d, 'spec', 'replicas') !== 1) this.fail(d, `replicas is ${get(d, 'spec', 'replicas')}; the coordinator must run as exactly 1 replica`);
    if (get(d, 'spec', 'strategy', 'type') !== 'Recreate') this.fail(d, 'strategy.type is not Recreate (two coordinators must never share the database)');
    const c = this.container(d, 'coordinator');
    const flags = parseFlags(c.args);
    this.checkKnownFlags(d, flags, this.flags.coordinator, 'ecgbench-coordinator');
    // The binary refuses a non-loopback --listen without tokens; TLS keeps the tokens secret.
    if (!flags.has('--auth-tokens') && !flags.has('--allow-unauthenticated')) {
      this.fail(d, 'no --auth-tokens: the coordinator refuses to listen on 0.0.0.0 without bearer tokens');
    }
    // The binary also refuses a non-loopback --listen without roots for the paths in specs.
    if (!flags.has('--data-root') && !flags.has('--allow-any-path')) {
      this.fail(d, 'no --data-root: the coordinator refuses to listen on 0.0.0.0 without roots for the paths in specs');
    }
    if (!flags.has('--tls-cert') || !flags.has('--tls-key')) this.fail(d, 'no --tls-cert/--tls-key: bearer tokens would cross the network in plaintext');
    for (const f of ['--tls-cert', '--tls-key', '--tls-client-ca', '--auth-tokens']) {
      const v = flags.get(f);
      if (v !== undefined && !/^\/etc\/ecgbench\/(tls|tokens)\//.test(String(v))) this.fail(d, `${f} ${v} is not in a mounted Secret (/etc/ecgbench/tls or /etc/ecgbench/tokens)`);
    }
    // Health probes: the kubelet's gRPC probe speaks plaintext only, so with TLS they must exec the
    // CLI's health check.
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const grpcPort = get(c, p, 'grpc', 'port');
      const command = arr(get(c, p, 'exec', 'command')).map(String);
      if (grpcPort !== undefined) {
        if (flags.has('--tls-cert')) this.fail(d, `${p} is a gRPC probe, but the kubelet's gRPC probes cannot speak TLS (use exec: ecgbench health)`);
        else if (grpcPort !== COORDINATOR.grpcPort) this.fail(d, `${p} is not a gRPC health probe on port ${COORDINATOR.grpcPort}`);
      } else if (!(command.length > 0 && command[0].endsWith('/ecgbench') && command.includes('health'))) {
        this.fail(d, `${p} is neither a gRPC probe nor an exec of \`ecgbench health\``);
      }
    }
    if (portOf(flags.get('--listen') ?? '0.0.0.0:50051') !== COORDINATOR.grpcPort) this.fail(d, `--listen is not port ${COORDINATOR.grpcPort}`);
    if (portOf(flags.get('--metrics-listen') ?? '0.0.0.0:9100') !== COORDINATOR.metricsPort) this.fail(d, `--metrics-listen is not port ${COORDINATOR.metricsPort}`);
    for (const [port, name] of [[COORDINATOR.grpcPort, 'grpc'], [COORDINATOR.metricsPort, 'metrics']]) {
      if (this.resolvePort(arr(c.ports), name) !== port) this.fail(d, `container port ${name} is not ${port}`);
    }
    const db = flags.get('--db');
    const dbVolume = db && this.volumeHolding(d, c, db);
    if (!db || !String(db).startsWith('/')) this.fail(d, '--db is not an absolute path');
    else if (!dbVolume || !dbVolume.persistentVolumeClaim) this.fail(d, `--db ${db} is not on a PersistentVolumeClaim (state would be lost on restart)`);
    for (const [path, secret] of [['/etc/ecgbench/tls', 'ecgbench-tls'], ['/etc/ecgbench/tokens', 'ecgbench-tokens']]) {
      const m = arr(c.volumeMounts).find((v) => v.mountPath === path);
      const vol = m && arr(get(d, 'spec', 'template', 'spec', 'volumes')).find((v) => v.name === m.name);
      if (get(vol, 'secret', 'secretName') !== secret) this.fail(d, `Secret ${secret} is not mounted at ${path}`);
    }
    this.checkArtifacts(d, c, ARTIFACT_ROOT);
    const services = this.ofKind('Service').filter((s) => get(s, 'metadata', 'namespace') === ns &&
      selects({ matchLabels: get(s, 'spec', 'selector') }, this.podLabels(d)));
    const grpc = services.find((s) => arr(get(s, 'spec', 'ports')).some((p) => p.port === COORDINATOR.grpcPort));
    const metrics = services.find((s) => arr(get(s, 'spec', 'ports')).some((p) => p.port === COORDINATOR.metricsPort && p.name));
    if (!grpc) this.fail(d, `no Service exposes the coordinator's gRPC port ${COORDINATOR.grpcPort}`);
    if (!metrics) this.fail(d, `no Service exposes the coordinator's metrics port ${COORDINATOR.metricsPort} under a port name`);
    const monitors = this.ofKind('ServiceMonitor').filter((m) => metrics &&
      this.monitorSees(m, metrics) && selects(get(m, 'spec', 'selector'), get(metrics, 'metadata', 'labels')));
    if (metrics && monitors.length === 0) this.fail(d, `no ServiceMonitor selects Service ${get(metrics, 'metadata', 'name')}`);
    for (const m of monitors) {
      const metricsName = arr(get(metrics, 'spec', 'ports')).find((p) => p.port === COORDINATOR.metricsPort).name;
      const eps = arr(get(m, 'spec', 'endpoints'));
      if (!eps.some((e) => e.port === metricsName)) this.fail(m, `no endpoint scrapes Service port ${metricsName}`);
      for (const e of eps) this.checkJob(m, e, get(metrics, 'metadata', 'labels'), COORDINATOR.job);
    }
  }

  monitorSees(monitor, target) {
    const nsSel = get(monitor, 'spec', 'namespaceSelector');
    const ns = get(target, 'metadata', 'namespace');
    if (get(nsSel, 'any') === true) return true;
    if (arr(get(nsSel, 'matchNames')).length > 0) return arr(nsSel.matchNames).includes(ns);
    return get(monitor, 'metadata', 'namespace') === ns;
  }

  // The scrape job label: a relabeling that sets job to `job`, or else jobLabel naming a label whose
  // value is `job`.
  checkJob(monitor, endpoint, labels, job) {
    const rel = arr(endpoint.relabelings).filter((r) => r.targetLabel === 'job');
    if (rel.length > 0) {
      const last = rel[rel.length - 1];
      const action = String(last.action ?? 'replace').toLowerCase();
      if (action !== 'replace' || last.replacement !== job || arr(last.sourceLabels).length > 0) {
        this.fail(monitor, `the relabeling of job does not set it to "${job}"`);
      }
      return;
    }
    const jobLabel = get(monitor, 'spec', 'jobLabel');
    if (!jobLabel || get(labels || {}, jobLabel) !== job) {
      this.fail(monitor, `scrape job would not be "${job}": set it with a relabeling (targetLabel: job) or jobLabel`);
    }
  }

  checkArtifacts(w, c, path) {
    const claim = this.claimAt(w, c, path);
    if (!claim) {
      this.fail(w, `no PersistentVolumeClaim mounted at ${path} (shared artifact volume)`);
      return undefined;
    }
    const pvc = this.find('PersistentVolumeClaim', get(w, 'metadata', 'namespace'), claim);
    if (pvc && !arr(get(pvc, 'spec', 'accessModes')).includes('ReadWriteMany')) {
      this.fail(pvc, 'the shared artifact volume needs accessModes ReadWriteMany');
    }
    return claim;
  }

  checkWorker(s, coordinator) {
    const ns = get(s, 'metadata', 'namespace');
    const spec = get(s, 'spec', 'template', 'spec') || {};
    const c = this.container(s, 'worker');
    const env = new Map(arr(c.env).filter(isObj).map((e) => [e.name, e]));
    const flags = parseFlags(c.args);
    this.checkKnownFlags(s, flags, this.flags.worker, 'ecgbench-worker');
    if (coordinator) {
      const cflags = parseFlags(this.container(coordinator, 'coordinator').args);
      if (cflags.has('--tls-cert') && !flags.has('--tls-ca')) this.fail(s, 'the coordinator serves TLS but the worker has no --tls-ca to verify it');
      if (cflags.has('--auth-tokens') && !flags.has('--token-file')) this.fail(s, 'the coordinator requires bearer tokens but the worker has no --token-file');
      // The same roots on both sides: the coordinator checks the text at submit, the workers the
      // resolved paths (their --artifact-root is always allowed).
      const croots = flagValues(this.container(coordinator, 'coordinator').args, '--data-root');
      const wroots = flagValues(c.args, '--data-root');
      const wallowed = wroots.concat([flags.get('--artifact-root') ?? '']);
      for (const r of croots) {
        if (!wallowed.includes(r)) this.fail(s, `the coordinator accepts spec paths under --data-root ${r}, which the worker refuses (not among its --data-root or --artifact-root)`);
      }
      for (const r of wroots) {
        if (croots.length > 0 && !croots.includes(r)) this.fail(s, `--data-root ${r} is not a --data-root of the coordinator, which refuses spec paths under it`);
      }
    }
    if (!flags.has('--data-root')) this.fail(s, 'no --data-root: the worker would read any path a spec names');
    // Stable peers: the StatefulSet's headless Service.
    const svc = this.find('Service', ns, get(s, 'spec', 'serviceName'));
    if (!svc) {
      this.fail(s, `serviceName ${get(s, 'spec', 'serviceName')} is not a Service of the manifests`);
    } else {
      if (get(svc, 'spec', 'clusterIP') !== 'None') this.fail(svc, 'the workers\' Service is not headless (clusterIP: None)');
      if (get(svc, 'spec', 'publishNotReadyAddresses') !== true) this.fail(svc, 'publishNotReadyAddresses is not true (peers must resolve before they are ready)');
      if (!selects({ matchLabels: get(svc, 'spec', 'selector') }, this.podLabels(s))) this.fail(svc, `does not select the pods of ${describe(s)}`);
    }
    // /dev/shm: memory-backed with a limit.
    const shm = arr(c.volumeMounts).find((m) => m.mountPath === '/dev/shm');
    const shmVol = shm && arr(spec.volumes).find((v) => v.name === shm.name);
    if (!shmVol || get(shmVol, 'emptyDir', 'medium') !== 'Memory' || get(shmVol, 'emptyDir', 'sizeLimit') === undefined) {
      this.fail(s, '/dev/shm is not an emptyDir with medium Memory and a sizeLimit');
    }
    // Probes on the HTTP health endpoints of the metrics port.
    const metricsPort = portOf(flags.get('--metrics-listen') ?? '0.0.0.0:9101');
    if (metricsPort !== WORKER.metricsPort) this.fail(s, `--metrics-listen is not port ${WORKER.metricsPort}`);
    for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/livez'], ['startupProbe', undefined]]) {
      const p = c[probe];
      if (!isObj(p)) {
        this.fail(s, `no ${probe}`);
        continue;
      }
      if (path && (get(p, 'httpGet', 'path') !== path || this.resolvePort(arr(c.ports), get(p, 'httpGet', 'port')) !== WORKER.metricsPort)) {
        this.fail(s, `${probe} is not httpGet ${path} on port ${WORKER.metricsPort}`);
      }
    }
    const live = c.livenessProbe || {};
    const tolerated = (live.failureThreshold ?? 3) * (live.periodSeconds ?? 10);
    if (tolerated < WORKER.minLivenessSeconds) {
      this.fail(s, `livenessProbe tolerates ${tolerated} s of failures (failureThreshold x periodSeconds); at least ${WORKER.minLivenessSeconds} s`);
    }
    // SIGTERM: the grace period covers --shutdown-grace-ms plus deregistration.
    const graceMs = Number(flags.get('--shutdown-grace-ms') ?? WORKER.defaultGraceMs);
    const termination = spec.terminationGracePeriodSeconds ?? 30;
    if (!Number.isFinite(graceMs) || termination * 1000 < graceMs + WORKER.graceMarginMs) {
      this.fail(s, `terminationGracePeriodSeconds ${termination} is shorter than --shutdown-grace-ms ${flags.get('--shutdown-grace-ms') ?? WORKER.defaultGraceMs} ms + ${WORKER.graceMarginMs / 1000} s`);
    }
    // Identity and coordinator address.
    const nameRef = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(flags.get('--name') ?? '');
    if (!nameRef || get(env.get(nameRef[1]), 'valueFrom', 'fieldRef', 'fieldPath') !== 'metadata.name') {
      this.fail(s, '--name is not $(VAR) with VAR the pod name (downward API metadata.name)');
    }
    this.checkCoordinatorAddress(s, flags.get('--coordinator') ?? get(env.get('ECGBENCH_COORDINATOR'), 'value'), env, coordinator);
    // Resources offered = resources granted.
    const lim = get(c, 'resources', 'limits') || {};
    for (const [flag, res] of [['--cpus', 'cpu'], ['--memory-bytes', 'memory']]) {
      const v = flags.get(flag);
      const ref = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(v ?? '');
      if (ref) {
        if (get(env.get(ref[1]), 'valueFrom', 'resourceFieldRef', 'resource') !== `limits.${res}`) {
          this.fail(s, `${flag}=${v}: ${ref[1]} is not the container's limits.${res} (downward API)`);
        }
      } else if (v === undefined || quantity(v) !== quantity(lim[res])) {
        this.fail(s, `${flag} ${v ?? '(not set)'} does not match limits.${res} ${lim[res]}`);
      }
    }
    // Shared artifacts at the same path and on the same claim as the coordinator.
    const root = flags.get('--artifact-root');
    if (root !== ARTIFACT_ROOT) this.fail(s, `--artifact-root is ${root}, not ${ARTIFACT_ROOT}`);
    const claim = this.checkArtifacts(s, c, ARTIFACT_ROOT);
    if (coordinator && claim) {
      const theirs = this.claimAt(coordinator, this.container(coordinator, 'coordinator'), ARTIFACT_ROOT);
      if (theirs !== claim) this.fail(s, `artifact claim ${claim} differs from the coordinator's ${theirs} at ${ARTIFACT_ROOT}`);
    }
    const work = flags.get('--work-dir');
    if (!work || !this.volumeHolding(s, c, work)) this.fail(s, `--work-dir ${work} is not on a mounted volume (the root filesystem is read-only)`);
    // Disruptions and monitoring.
    if (!this.ofKind('PodDisruptionBudget').some((p) => get(p, 'metadata', 'namespace') === ns && selects(get(p, 'spec', 'selector'), this.podLabels(s)))) {
      this.fail(s, 'no PodDisruptionBudget selects the worker pods');
    }
    const monitors = this.ofKind('PodMonitor').filter((m) => this.monitorSees(m, s) && selects(get(m, 'spec', 'selector'), this.podLabels(s)));
    if (monitors.length === 0) this.fail(s, 'no PodMonitor selects the worker pods');
    for (const m of monitors) {
      const eps = arr(get(m, 'spec', 'podMetricsEndpoints'));
      if (!eps.some((e) => this.resolvePort(arr(c.ports), e.port) === WORKER.metricsPort)) {
        this.fail(m, `no podMetricsEndpoint scrapes the container port of ${WORKER.metricsPort} by name`);
      }
      for (const e of eps) this.checkJob(m, e, this.podLabels(s), WORKER.job);
    }
    this.checkProfile(s, spec, c, env);
  }

  checkCoordinatorAddress(s, address, env, coordinator) {
    if (!address) {
      this.fail(s, 'neither --coordinator nor ECGBENCH_COORDINATOR is set');
      return;
    }
    const ns = get(s, 'metadata', 'namespace');
    // $(VAR) from the downward API namespace stands for the pod's namespace.
    const resolved = String(address).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v) =>
      (get(env.get(v), 'valueFrom', 'fieldRef', 'fieldPath') === 'metadata.namespace' ? ns : all));
    const m = /^([a-z0-9-]+)(?:\.([a-z0-9-]+)(?:\.svc(?:\.[a-z0-9.-]+)?)?)?:([0-9]+)$/.exec(resolved);
    const svc = m && this.find('Service', m[2] || ns, m[1]);
    if (!svc) {
      this.fail(s, `coordinator address ${address} is not SERVICE[.NAMESPACE[.svc...]]:PORT of a Service in the manifests`);
      return;
    }
    if (coordinator && !selects({ matchLabels: get(svc, 'spec', 'selector') }, this.podLabels(coordinator))) {
      this.fail(s, `coordinator address ${address}: Service ${m[1]} does not select the coordinator pods`);
    }
    const port = arr(get(svc, 'spec', 'ports')).find((p) => p.port === Number(m[3]));
    if (Number(m[3]) !== COORDINATOR.grpcPort || !port) {
      this.fail(s, `coordinator address ${address}: port ${m[3]} is not the Service's gRPC port ${COORDINATOR.grpcPort}`);
    }
  }

  checkProfile(s, spec, c, env) {
    const gpus = get(c, 'resources', 'limits', GPU);
    if (this.profile === 'gpu') {
      if (gpus === undefined) this.fail(s, `gpu overlay: the worker has no limits.${GPU}`);
      if (!/\/worker-cuda[:@]/.test(String(c.image))) this.fail(s, `gpu overlay: image ${c.image} is not ecgbench/worker-cuda`);
      if (!arr(spec.tolerations).some((t) => t.key === GPU)) this.fail(s, `gpu overlay: no toleration for ${GPU} taints`);
      const placement = JSON.stringify([spec.nodeSelector || {}, get(spec, 'affinity', 'nodeAffinity') || {}]);
      if (!placement.includes('nvidia.com/gpu')) this.fail(s, 'gpu overlay: no nodeSelector/nodeAffinity on nvidia.com/gpu node labels');
      for (const v of ['NCCL_SOCKET_IFNAME', 'NCCL_DEBUG']) if (!env.has(v)) this.fail(s, `gpu overlay: env ${v} is not set`);
    } else {
      if (gpus !== undefined) this.fail(s, `cpu overlay: the worker asks for ${GPU}`);
      if (!/\/worker-cpu[:@]/.test(String(c.image))) this.fail(s, `cpu overlay: image ${c.image} is not ecgbench/worker-cpu`);
    }
  }
}

function checkRules(objects, options) {
  const checker = new Checker(objects, options);
  try {
    return checker.run();
  } catch (e) {
    // Only objects the schemas already rejected get here (a field of the wrong shape).
    return [...checker.problems, `deployment rules stopped early (${e.message}); fix the schema problems first`];
  }
}

module.exports = { checkRules, quantity, selects, parseFlags };
