// Validates rendered Kubernetes manifests (the output of `kubectl kustomize` on one overlay of
// deploy/k8s): every object against the Kubernetes 1.27 OpenAPI schemas and the Prometheus
// Operator CRD schemas (ajv validators of the npm packages kubernetes-models and
// @kubernetes-models/prometheus-operator), unknown kinds and unknown fields rejected, then the
// deployment rules of issue 9 that a schema cannot express (rules.js).
//
// Usage: node validate.js --overlay NAME --profile cpu|gpu --manifests FILE
//            [--coordinator-help FILE] [--worker-help FILE]
// The help files hold `ecgbench-coordinator --help` / `ecgbench-worker --help`; with them every
// flag the manifests pass must be one the binaries have.
// Prints one line per problem, "overlay NAME: KIND NAMESPACE/NAME: reason", and exits 1 if any.
'use strict';

const fs = require('fs');
const YAML = require('yaml');
const { checkRules } = require('./rules.js');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad argument ${key}`);
    args[key.slice(2)] = value;
  }
  for (const required of ['overlay', 'profile', 'manifests']) {
    if (!args[required]) throw new Error(`missing --${required}`);
  }
  if (!['cpu', 'gpu'].includes(args.profile)) throw new Error(`--profile must be cpu or gpu, got ${args.profile}`);
  return args;
}

// The model class of apiVersion/kind, or null when no schema package knows the kind.
function modelClass(apiVersion, kind) {
  if (!/^[A-Za-z0-9]+$/.test(kind) || !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return null;
  const candidates = [`kubernetes-models/${apiVersion}/${kind}`,
    `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`];
  for (const name of candidates) {
    let mod;
    try {
      mod = require(name);
    } catch (e) {
      if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') continue;
      throw e;
    }
    const cls = mod[kind];
    if (cls && cls.apiVersion === apiVersion && cls.kind === kind) return cls;
  }
  return null;
}

// Runs the schema validator on a proxy of `obj` that records which properties the validator
// looked at. The compiled validators read every property their schema declares and enumerate the
// keys of free-form maps (labels, resources, ...), so a key that was neither read nor enumerated is
// a field the schema does not have (kubectl's strict field validation would reject it too).
//
// The generated validators drop schema properties that are themselves called "description" (the
// generator strips description annotations), so these real fields are never read and are accepted
// here by path: PriorityClass.description is the only one in the kinds the manifests use.
const UNREAD_FIELDS = { PriorityClass: new Set(['/description']) };

function validateStrict(cls, obj) {
  const unread = UNREAD_FIELDS[obj.kind] || new Set();
  const consulted = new Map();  // path -> Set of property names read
  const enumerated = new Set();  // paths whose keys were listed
  const note = (path, key) => {
    if (!consulted.has(path)) consulted.set(path, new Set());
    consulted.get(path).add(key);
  };
  const wrap = (value, path) => {
    if (value === null || typeof value !== 'object') return value;
    return new Proxy(value, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        note(path, key);
        return wrap(v, `${path}/${key}`);
      },
      has(target, key) {
        if (typeof key === 'string') note(path, key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        enumerated.add(path);
        return Reflect.ownKeys(target);
      },
    });
  };
  try {
    cls.prototype.validate.call(wrap(obj, ''));
  } catch (e) {
    return [`schema: ${e.message.replace(/\bdata\//g, '/')}`];
  }
  const unknown = [];
  const walk = (value, path) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}/${i}`));
      return;
    }
    const seen = consulted.get(path) || new Set();
    for (const key of Object.keys(value)) {
      if (!enumerated.has(path) && !seen.has(key) && !unread.has(`${path}/${key}`)) {
        unknown.push(`schema: unknown field ${path}/${key}`);
      } else {
        walk(value[key], `${path}/${key}`);
      }
    }
  };
  walk(obj, '');
  return unknown;
}

function flagsFromHelp(file) {
  if (!file) return null;
  const flags = new Set();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s+(?:-[A-Za-z],\s*)?(--[a-z0-9][a-z0-9-]*)/.exec(line);
    if (m) flags.add(m[1]);
  }
  if (flags.size === 0) throw new Error(`${file}: no --flags found in the --help text`);
  return flags;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const text = fs.readFileSync(args.manifests, 'utf8');
  const problems = [];
  const objects = [];
  YAML.parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      problems.push(`document ${i + 1}: YAML: ${doc.errors[0].message.split('\n')[0]}`);
      return;
    }
    const obj = doc.toJS();
    if (obj !== null) objects.push(obj);
  });
  const describe = (o) => {
    const meta = (o && o.metadata) || {};
    const ns = meta.namespace ? `${meta.namespace}/` : '';
    return `${(o && o.kind) || '(no kind)'} ${ns}${meta.name || '(no name)'}`;
  };
  if (objects.length === 0) problems.push('no objects rendered');
  for (const obj of objects) {
    if (typeof obj !== 'object' || !obj.apiVersion || !obj.kind) {
      problems.push(`${describe(obj)}: no apiVersion/kind`);
      continue;
    }
    const cls = modelClass(obj.apiVersion, obj.kind);
    if (!cls) {
      problems.push(`${describe(obj)}: unknown kind ${obj.apiVersion}/${obj.kind}: no schema to validate it against`);
      continue;
    }
    for (const p of validateStrict(cls, obj)) problems.push(`${describe(obj)}: ${p}`);
  }
  const help = {
    coordinator: flagsFromHelp(args['coordinator-help']),
    worker: flagsFromHelp(args['worker-help']),
  };
  for (const p of checkRules(objects, { profile: args.profile, flags: help })) problems.push(p);
  for (const p of problems) console.log(`overlay ${args.overlay}: ${p}`);
  if (problems.length > 0) {
    console.log(`overlay ${args.overlay}: ${problems.length} problem(s) in ${objects.length} objects`);
    process.exit(1);
  }
  console.log(`overlay ${args.overlay}: ${objects.length} objects valid (schemas, fields and deployment rules)`);
}

try {
  main();
} catch (e) {
  console.log(`k8s validator: ${e.message}`);
  process.exit(2);
}
