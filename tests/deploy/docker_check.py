#!/usr/bin/env python3
"""Keeps deploy/docker/*.Dockerfile honest without a Docker engine (issue 9).

Checks, for every Dockerfile: packages are installed only through scripts/install-deps.sh with
profiles that exist (and the script was COPYed into that stage first); each runtime profile
provides, through Debian package dependencies, every shared library that `ldd` finds for the
binaries the image ships (built here; paths given with --binary); the coordinator image has no
LibTorch; COPY sources exist and are not excluded by .dockerignore; every ARG used is declared in
its scope (and every declared ARG is used); the final stage has a non-root numeric USER, a
HEALTHCHECK whose program the image has, EXPOSE, VOLUME /var/lib/ecgbench and OCI labels; the base
images are debian:12(-slim) (coordinator, worker-cpu) or nvidia/cuda (worker-cuda). Every problem
is printed as "FILE:LINE: reason"; the exit status is 1 when there is one.

--self-test copies the Dockerfiles and the script to a temporary tree, checks that the copy passes,
then breaks it in several ways and checks that each break is reported with the expected reason.

Usage: docker_check.py --repo DIR --binary NAME=PATH... [--self-test]
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

DOCKER_DIR = "deploy/docker"
INSTALL_DEPS = "scripts/install-deps.sh"
# What each image must be: base-image family and the binaries it ships.
IMAGES = {
    "coordinator.Dockerfile": {"family": "debian", "binaries": {"ecgbench-coordinator", "ecgbench"},
                               "no_torch": True},
    "worker-cpu.Dockerfile": {"family": "debian", "binaries": {"ecgbench-worker"}, "no_torch": False},
    "worker-cuda.Dockerfile": {"family": "cuda", "binaries": {"ecgbench-worker"}, "no_torch": False},
}
BINARY_NAMES = {"ecgbench", "ecgbench-coordinator", "ecgbench-worker"}
DEBIAN_FROM = re.compile(r"^debian:12(-slim)?(@sha256:[0-9a-f]{64})?$")
CUDA_FROM = re.compile(r"^nvidia/cuda:[0-9][^ ]*$")
REQUIRED_LABELS = ["org.opencontainers.image.title", "org.opencontainers.image.description",
                   "org.opencontainers.image.version", "org.opencontainers.image.revision"]
DATA_VOLUME = "/var/lib/ecgbench"
# ARGs Docker predefines in every stage; environment variables every base image has.
PREDEFINED = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY",
              "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy", "PATH", "HOME"}
PACKAGE_INSTALL = re.compile(
    r"\b(?:apt-get|apt|aptitude)\s+(?:-\S+\s+)*(?:install|update|upgrade|dist-upgrade|full-upgrade)\b"
    r"|\bdpkg\s+(?:-i|--install)\b|\bpip3?\s+install\b|\bpython3?\s+-m\s+pip\s+install\b"
    r"|\bnpm\s+(?:install|i|ci)\b|\bapk\s+add\b|\b(?:yum|dnf|microdnf|conda|gem)\s+install\b")
VAR_ANY = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
VAR_UPPER = re.compile(r"(?<!\\)\$(?:\{([A-Z][A-Z0-9_]*)|([A-Z][A-Z0-9_]*))")


class Instr:
    def __init__(self, line, cmd, args):
        self.line, self.cmd, self.args = line, cmd, args


class Stage:
    def __init__(self, index, instr, image, name):
        self.index, self.from_instr, self.image, self.name = index, instr, image, name
        self.instrs = []


def parse_dockerfile(path):
    """Returns (global instructions, stages). Joins continuation lines, drops comments."""
    instrs, cur, start = [], None, 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, raw in enumerate(lines, 1):
        text = raw.rstrip()
        stripped = text.lstrip()
        if cur is None:
            if not stripped or stripped.startswith("#"):
                continue
            start, cur = number, ""
        elif not stripped or stripped.startswith("#"):
            continue
        if text.endswith("\\"):
            cur += text[:-1] + " "
            continue
        cur += text
        parts = cur.strip().split(None, 1)
        instrs.append(Instr(start, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        cur = None
    if cur is not None:
        instrs.append(Instr(start, "UNTERMINATED", cur))
    globals_, stages = [], []
    for ins in instrs:
        if ins.cmd == "FROM":
            words = [w for w in ins.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(len(stages), ins, words[0] if words else "", name))
        elif stages:
            stages[-1].instrs.append(ins)
        else:
            globals_.append(ins)
    return globals_, stages


def arg_decls(args):
    """ARG a=1 b -> [(a, '1'), (b, None)]."""
    out = []
    for word in shlex.split(args):
        name, eq, default = word.partition("=")
        out.append((name, default if eq else None))
    return out


def env_names(args):
    words = shlex.split(args)
    if len(words) >= 2 and "=" not in words[0]:
        return [words[0]]
    return [w.partition("=")[0] for w in words]


def var_refs(text, upper_only):
    pattern = VAR_UPPER if upper_only else VAR_ANY
    return [m.group(1) or m.group(2) for m in pattern.finditer(text)]


def expand(text, values):
    for _ in range(10):
        new = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)",
                     lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)
        if new == text:
            break
        text = new
    return text


def copy_parts(args):
    """COPY/ADD arguments -> (flags dict, sources, dest)."""
    flags, rest = {}, args.strip()
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        key, _, value = word[2:].partition("=")
        flags[key] = value
        rest = rest.strip()
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return flags, words[:-1], (words[-1] if words else "")


def shell_commands(run_args):
    """Splits a RUN shell line into simple commands (lists of words)."""
    commands = []
    for part in re.split(r"&&|\|\||;|\|", run_args):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        if words:
            commands.append(words)
    return commands


def install_deps_calls(run_args):
    """Each install-deps.sh call of a RUN: dict(path, profiles, files, owners, skip, redirect, flags)."""
    calls = []
    for words in shell_commands(run_args):
        idx = next((i for i, w in enumerate(words) if w.endswith("install-deps.sh")), None)
        if idx is None:
            continue
        call = {"path": words[idx], "profiles": [], "files": [], "owners": [], "skip": [],
                "redirect": None, "unknown": []}
        rest, i = words[idx + 1:], 0
        while i < len(rest):
            w = rest[i]
            if w.startswith(">"):
                call["redirect"] = w[1:] or (rest[i + 1] if i + 1 < len(rest) else "")
                i += 1 if w[1:] else 2
                continue
            if w in ("--profile", "--packages-file", "--skip-dir") and i + 1 < len(rest):
                key = {"--profile": "profiles", "--packages-file": "files", "--skip-dir": "skip"}[w]
                call[key].append(rest[i + 1])
                i += 2
                continue
            if w.startswith("--profile="):
                call["profiles"].append(w.split("=", 1)[1])
            elif w == "--owners-of":
                i += 1
                while i < len(rest) and not rest[i].startswith("-") and not rest[i].startswith(">"):
                    call["owners"].append(rest[i])
                    i += 1
                continue
            elif w not in ("--clean", "--with-libraries"):
                call["unknown"].append(w)
            i += 1
        calls.append(call)
    return calls


# ---------------------------------------------------------------------------------------------
# Debian package facts (this machine's dpkg database).

class Dpkg:
    def __init__(self):
        self.depends, self.provides, self.installed, self._owner_cache = {}, {}, set(), {}
        with open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") as f:
            stanzas = f.read().split("\n\n")
        for stanza in stanzas:
            fields, key = {}, None
            for line in stanza.split("\n"):
                if line.startswith((" ", "\t")) and key:
                    fields[key] += " " + line.strip()
                elif ":" in line:
                    key, _, value = line.partition(":")
                    fields[key] = value.strip()
            name = fields.get("Package")
            if not name or "install ok installed" not in fields.get("Status", ""):
                continue
            self.installed.add(name)
            groups = []
            for field in ("Depends", "Pre-Depends"):
                for group in filter(None, (g.strip() for g in fields.get(field, "").split(","))):
                    groups.append([a.strip().split()[0].split(":")[0] for a in group.split("|")])
            self.depends.setdefault(name, []).extend(groups)
            for item in filter(None, (p.strip() for p in fields.get("Provides", "").split(","))):
                self.provides.setdefault(item.split()[0], set()).add(name)

    def closure(self, packages):
        """Packages reachable from `packages` through Depends/Pre-Depends (installed alternatives)."""
        seen, todo = set(), list(packages)
        while todo:
            pkg = todo.pop()
            if pkg in seen:
                continue
            seen.add(pkg)
            for group in self.depends.get(pkg, []):
                for alt in group:
                    for real in ([alt] if alt in self.installed else []) + sorted(self.provides.get(alt, ())):
                        if real not in seen:
                            todo.append(real)
        return seen

    def owner(self, path):
        if path not in self._owner_cache:
            self._owner_cache[path] = self._owner(path)
        return self._owner_cache[path]

    def _owner(self, path):
        out = subprocess.run(["dpkg-query", "--search", os.path.realpath(path), path],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            if not line.startswith("diversion"):
                return line.split(":")[0].split(",")[0].strip()
        return None


_DPKG = []
_OWNERS = {}
_PROFILES = {}


def _shared_dpkg():
    if not _DPKG:
        _DPKG.append(Dpkg())
    return _DPKG[0]


def apt_knows(package):
    return subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                          capture_output=True).returncode == 0


def apt_lists_present():
    d = "/var/lib/apt/lists"
    return os.path.isdir(d) and any(n.endswith("Packages") for n in os.listdir(d))


# ---------------------------------------------------------------------------------------------
# .dockerignore (Docker's rules: patterns relative to the context root, later ones win, `!` re-includes).

def dockerignore_rules(repo):
    path = os.path.join(repo, ".dockerignore")
    rules = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
            regex = ""
            i = 0
            while i < len(pattern):
                if pattern.startswith("**", i):
                    regex += ".*"
                    i += 2
                    if pattern.startswith("/", i):
                        regex = regex[:-2] + "(?:.*/)?"
                        i += 1
                    continue
                ch = pattern[i]
                regex += "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)
                i += 1
            rules.append((re.compile("^" + regex + "(?:/.*)?$"), negate))
    return rules


def excluded(rules, rel):
    result = False
    for regex, negate in rules:
        if regex.match(rel):
            result = not negate
    return result


# ---------------------------------------------------------------------------------------------

class Checker:
    def __init__(self, repo, binaries):
        self.repo, self.binaries = repo, binaries
        self.errors, self.notes = [], []
        self.script = os.path.join(repo, INSTALL_DEPS)
        self.dpkg = _shared_dpkg()
        self.profiles, self.global_values = {}, {}
        with open(self.script, "rb") as f:
            self.script_text = f.read()

    def err(self, where, line, reason):
        self.errors.append(f"{where}:{line}: {reason}" if line else f"{where}: {reason}")

    def run_script(self, *args):
        proc = subprocess.run(["bash", self.script, *args], capture_output=True, text=True)
        return proc.returncode, proc.stdout, proc.stderr.strip()

    def load_profiles(self):
        if self.script_text in _PROFILES:
            self.profiles = _PROFILES[self.script_text]
            return True
        rc, out, errout = self.run_script("--list-profiles")
        if rc != 0:
            self.err(INSTALL_DEPS, 0, f"--list-profiles failed: {errout}")
            return False
        self.profiles = {}
        for line in out.splitlines():
            name, _, desc = line.partition("\t")
            rc, pkgs, errout = self.run_script("--print", "--profile", name)
            if rc != 0:
                self.err(INSTALL_DEPS, 0, f"--print --profile {name} failed: {errout}")
                continue
            self.profiles[name] = {"desc": desc, "packages": pkgs.split()}
        if not self.errors:
            _PROFILES[self.script_text] = self.profiles
        return True

    def check_profiles(self):
        lists = apt_lists_present()
        for name, prof in self.profiles.items():
            if not prof["desc"].startswith("Debian 12"):
                self.notes.append(f"profile {name} ({prof['desc'].split(':')[0]}): package names not checked here")
                continue
            for pkg in prof["packages"]:
                if pkg in self.dpkg.installed or pkg in self.dpkg.provides:
                    continue
                if not lists:
                    self.notes.append(f"profile {name}: {pkg} not installed and apt lists empty: name not checked")
                elif not apt_knows(pkg):
                    self.err(INSTALL_DEPS, 0, f"profile {name}: package '{pkg}' is unknown to apt on Debian 12")
        if "all" in self.profiles and "build" in self.profiles:
            missing = sorted(set(self.profiles["build"]["packages"]) - set(self.profiles["all"]["packages"]))
            if missing:
                self.err(INSTALL_DEPS, 0, f"profile all lacks {' '.join(missing)} of profile build "
                         "(a development machine must build what the images build)")

    def owners(self, binary):
        body = re.search(rb"\nowners_of\(\) \{.*?\n\}\n", self.script_text, re.S)
        key = (body.group(0) if body else self.script_text, os.path.realpath(binary))
        if key not in _OWNERS:  # the self-test checks many copies of the same script and binaries
            rc, out, errout = self.run_script("--owners-of", binary, "--with-libraries")
            _OWNERS[key] = (rc, [tuple(l.split("\t", 1)) for l in out.splitlines()], errout)
        return _OWNERS[key]

    def check_file(self, fname, spec):
        rel = f"{DOCKER_DIR}/{fname}"
        path = os.path.join(self.repo, rel)
        if not os.path.exists(path):
            self.err(rel, 0, "missing")
            return
        globals_, stages = parse_dockerfile(path)
        for ins in globals_ + [i for s in stages for i in [s.from_instr] + s.instrs]:
            if ins.cmd == "UNTERMINATED":
                self.err(rel, ins.line, "line continuation never ends")
        if len(stages) < 2:
            self.err(rel, stages[0].from_instr.line if stages else 0,
                     "must be multi-stage (a build stage and a runtime stage)")
            if not stages:
                return
        self.check_args(rel, globals_, stages)
        self.check_from(rel, spec, stages)
        rules = dockerignore_rules(self.repo)
        names = {s.name: s for s in stages if s.name}
        dests_by_stage = {}
        for stage in stages:
            dests = dests_by_stage.setdefault(stage.index, {})
            for ins in stage.instrs:
                if ins.cmd in ("COPY", "ADD"):
                    self.check_copy(rel, ins, names, rules, dests)
                elif ins.cmd == "RUN":
                    self.check_run(rel, ins, dests)
        self.check_final(rel, spec, stages, dests_by_stage)

    def check_args(self, rel, globals_, stages):
        global_values, used = {}, set()
        for ins in globals_:
            if ins.cmd != "ARG":
                self.err(rel, ins.line, f"{ins.cmd} before the first FROM (only ARG may come first)")
                continue
            for name, default in arg_decls(ins.args):
                for ref in var_refs(default or "", False):
                    if ref not in global_values and ref not in PREDEFINED:
                        self.err(rel, ins.line, f"ARG {ref} is used but not declared before it")
                    used.add(ref)
                global_values[name] = expand(default or "", global_values)
        for stage in stages:
            for ref in var_refs(stage.from_instr.args, False):
                used.add(ref)
                if ref not in global_values:
                    self.err(rel, stage.from_instr.line, f"ARG {ref} is used in FROM but not declared before the first FROM")
            declared, stage_used, decl_line = set(PREDEFINED), set(), {}
            for ins in stage.instrs:
                if ins.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and "[" in ins.args:
                    continue  # exec form: no substitution
                refs = var_refs(ins.args, ins.cmd == "RUN")
                if ins.cmd == "ARG":
                    for name, default in arg_decls(ins.args):
                        for ref in var_refs(default or "", False):
                            if ref not in declared:
                                self.err(rel, ins.line, f"ARG {ref} is used but not declared in this stage "
                                         "(an ARG before FROM must be declared again inside the stage)")
                            stage_used.add(ref)
                        declared.add(name)
                        decl_line[name] = ins.line
                    continue
                for ref in refs:
                    stage_used.add(ref)
                    if ref not in declared:
                        self.err(rel, ins.line, f"{ins.cmd} uses ${{{ref}}} but ARG/ENV {ref} is not declared "
                                 "in this stage (an ARG before FROM must be declared again inside the stage)")
                if ins.cmd == "ENV":
                    declared.update(env_names(ins.args))
            for name, line in decl_line.items():
                if name not in stage_used:
                    self.err(rel, line, f"ARG {name} is declared but never used in its stage")
        for ins in globals_:
            if ins.cmd == "ARG":
                for name, _ in arg_decls(ins.args):
                    if name not in used:
                        self.err(rel, ins.line, f"ARG {name} is declared before FROM but no FROM uses it")
        self.global_values = global_values

    def check_from(self, rel, spec, stages):
        names = set()
        for stage in stages:
            image = expand(stage.image, self.global_values)
            final = stage is stages[-1]
            if image in names:
                continue  # FROM an earlier stage
            if spec["family"] == "debian":
                if not DEBIAN_FROM.match(image):
                    self.err(rel, stage.from_instr.line, f"FROM {image}: the images are Debian 12 "
                             "(debian:12 or debian:12-slim)")
            else:
                kind = "runtime" if final else "devel"
                if not CUDA_FROM.match(image):
                    self.err(rel, stage.from_instr.line, f"FROM {image}: the CUDA images are nvidia/cuda images")
                elif f"-{kind}-" not in image:
                    self.err(rel, stage.from_instr.line, f"FROM {image}: the {'runtime' if final else 'build'} "
                             f"stage uses an nvidia/cuda *-{kind}-* image")
            if stage.name:
                names.add(stage.name)

    def check_copy(self, rel, ins, names, rules, dests):
        try:
            flags, sources, dest = copy_parts(ins.args)
        except (ValueError, json.JSONDecodeError) as e:
            self.err(rel, ins.line, f"{ins.cmd} cannot be parsed: {e}")
            return
        if not sources:
            self.err(rel, ins.line, f"{ins.cmd} needs a source and a destination")
            return
        source_stage = flags.get("from")
        if source_stage is not None and source_stage not in names and not source_stage.isdigit():
            self.err(rel, ins.line, f"{ins.cmd} --from={source_stage}: no earlier stage of that name")
        for src in sources:
            if re.match(r"^[a-z]+://", src):
                self.err(rel, ins.line, f"{ins.cmd} {src}: downloads go through a RUN of a checked script")
                continue
            target = dest + os.path.basename(src.rstrip("/")) if dest.endswith("/") else dest
            dests[target] = (source_stage, src, ins.line)
            if source_stage is not None:
                continue
            local = os.path.normpath(os.path.join(self.repo, src))
            relsrc = os.path.relpath(local, self.repo)
            if not os.path.exists(local):
                self.err(rel, ins.line, f"COPY source {src} does not exist in the repository")
            elif relsrc == ".":
                self.check_context_root(rel, ins.line, rules)
            elif excluded(rules, relsrc):
                self.err(rel, ins.line, f"COPY source {src} is excluded by .dockerignore")

    def check_context_root(self, rel, line, rules):
        """COPY . : the files CMake configures must stay in the build context."""
        cmake = os.path.join(self.repo, "CMakeLists.txt")
        needed = ["CMakeLists.txt", "cmake"]
        if os.path.exists(cmake):
            text = open(cmake, encoding="utf-8").read()
            needed += [d for d in re.findall(r"add_subdirectory\(\s*([^\s)]+)", text) if d != "tests"]
        for item in needed:
            if not os.path.exists(os.path.join(self.repo, item)):
                self.err(rel, line, f"COPY . : {item} (needed by CMake) does not exist")
            elif excluded(rules, item):
                self.err(rel, line, f"COPY . : {item} (needed by CMake) is excluded by .dockerignore")

    def check_run(self, rel, ins, dests):
        m = PACKAGE_INSTALL.search(ins.args)
        if m:
            self.err(rel, ins.line, f"RUN '{m.group(0)}' installs packages outside {INSTALL_DEPS} "
                     "(add them to a profile and run install-deps.sh --profile NAME)")
        for call in install_deps_calls(ins.args):
            if call["path"] not in dests or dests[call["path"]][1] != INSTALL_DEPS:
                self.err(rel, ins.line, f"RUN {call['path']}: not a copy of {INSTALL_DEPS} made earlier in this stage")
            for word in call["unknown"]:
                self.err(rel, ins.line, f"install-deps.sh: unknown argument '{word}'")
            if not call["profiles"] and not call["owners"]:
                self.err(rel, ins.line, "install-deps.sh without --profile (the default profile is for development machines)")
            for prof in call["profiles"]:
                if prof not in self.profiles:
                    self.err(rel, ins.line, f"install-deps.sh --profile {prof}: unknown profile "
                             f"(profiles: {' '.join(sorted(self.profiles))})")
            for f in call["files"]:
                if f not in dests:
                    self.err(rel, ins.line, f"install-deps.sh --packages-file {f}: not copied into this stage")

    def final_calls(self, stage):
        return [(ins, c) for ins in stage.instrs if ins.cmd == "RUN" for c in install_deps_calls(ins.args)]

    def check_final(self, rel, spec, stages, dests_by_stage):
        final = stages[-1]
        dests = dests_by_stage[final.index]
        shipped = {}  # binary name -> (dest path, source path, line)
        for dest, (from_stage, src, line) in dests.items():
            if from_stage is not None and os.path.basename(src) in BINARY_NAMES:
                shipped[os.path.basename(src)] = (dest, src, line)
        if set(shipped) != spec["binaries"]:
            self.err(rel, final.from_instr.line, f"the runtime stage ships {sorted(shipped) or 'no binary'}; "
                     f"expected {sorted(spec['binaries'])}")
        calls = self.final_calls(final)
        install = [(ins, c) for ins, c in calls if c["profiles"]]
        if not install:
            self.err(rel, final.from_instr.line, "the runtime stage runs no install-deps.sh --profile")
            return
        line = install[0][0].line
        profiles = [p for _, c in install for p in c["profiles"] if p in self.profiles]
        packages = {pkg for p in profiles for pkg in self.profiles[p]["packages"]}
        closure = self.dpkg.closure(packages)
        verified = {b for _, c in calls for b in c["owners"]}
        for name, (dest, _, copy_line) in sorted(shipped.items()):
            if dest not in verified:
                self.err(rel, copy_line, f"the runtime stage must check {dest} with "
                         "`install-deps.sh --owners-of` (a missing library fails the image build)")
        self.check_final_instructions(rel, final, shipped, closure, line)
        if spec["family"] == "debian":
            self.check_libraries(rel, spec, shipped, profiles, closure, line)
        else:
            self.check_derived_packages(rel, stages, dests_by_stage, shipped, install)

    def check_libraries(self, rel, spec, shipped, profiles, closure, line):
        missing = {}
        for name in sorted(shipped):
            binary = self.binaries.get(name)
            if not binary or not os.path.exists(binary):
                self.err(rel, line, f"{name}: built binary not found ({binary or 'no --binary ' + name + '=PATH'}); "
                         "build it first")
                continue
            rc, pairs, errout = self.owners(binary)
            if rc != 0:
                self.err(rel, line, f"{name}: {errout}")
                continue
            for pkg, lib in pairs:
                if spec["no_torch"] and re.search(r"/lib(torch|c10)[^/]*$", lib):
                    self.err(rel, line, f"{name} loads {lib}: this image must not contain LibTorch")
                if pkg not in closure:
                    missing.setdefault(pkg, []).append(f"{os.path.basename(lib)} of {name}")
        for pkg, libs in sorted(missing.items()):
            more = f" and {len(libs) - 2} more" if len(libs) > 2 else ""
            self.err(rel, line, f"profile {'+'.join(profiles)} does not provide package {pkg} "
                     f"(needed for {', '.join(libs[:2])}{more}): add it to the profile in {INSTALL_DEPS}")
        if spec["no_torch"]:
            torch = sorted(p for p in closure if p.startswith("libtorch"))
            if torch:
                self.err(rel, line, f"profile {'+'.join(profiles)} pulls in LibTorch ({' '.join(torch)}); "
                         "this image must not contain LibTorch")

    def check_derived_packages(self, rel, stages, dests_by_stage, shipped, install):
        """CUDA image: the run-time packages are listed by --owners-of in the build stage."""
        files = [(ins, f) for ins, c in install for f in c["files"]]
        if not files:
            self.err(rel, install[0][0].line, "the runtime stage must also install the packages that "
                     "`install-deps.sh --owners-of` lists in the build stage (--packages-file)")
            return
        final_dests = dests_by_stage[stages[-1].index]
        for ins, f in files:
            from_stage, src, _ = final_dests.get(f, (None, None, None))
            if from_stage is None:
                self.err(rel, ins.line, f"--packages-file {f} must be copied from the build stage")
                continue
            producer = [(s, i, c) for s in stages[:-1] for i in s.instrs if i.cmd == "RUN"
                        for c in install_deps_calls(i.args) if c["owners"] and c["redirect"] == src]
            if not producer:
                self.err(rel, ins.line, f"--packages-file {f}: no build-stage RUN writes {src} with "
                         "`install-deps.sh --owners-of BINARY > {src}`")
                continue
            stage, pins, call = producer[0]
            sources = {os.path.normpath(s) for _, s, _ in shipped.values()}
            for b in call["owners"]:
                if os.path.normpath(b) not in sources:
                    self.err(rel, pins.line, f"--owners-of {b} is not a binary the runtime stage ships")
            for name, (_, src_path, copy_line) in shipped.items():
                if os.path.normpath(src_path) not in {os.path.normpath(b) for b in call["owners"]}:
                    self.err(rel, copy_line, f"{src_path} is shipped but its libraries are not listed by "
                             "--owners-of in the build stage")
            for skip in call["skip"]:
                if not any(d == skip or d.startswith(skip.rstrip("/") + "/") for d in final_dests):
                    self.err(rel, pins.line, f"--skip-dir {skip}: the runtime stage copies nothing to {skip} "
                             "(its libraries would be missing)")

    def check_final_instructions(self, rel, final, shipped, closure, line):
        last = {}
        for ins in final.instrs:
            last.setdefault(ins.cmd, []).append(ins)
        user = last.get("USER", [None])[-1]
        if user is None:
            self.err(rel, final.from_instr.line, "the runtime stage has no USER (it would run as root)")
        else:
            uid = user.args.strip().split(":")[0]
            if not uid.isdigit():
                self.err(rel, user.line, f"USER {user.args.strip()}: use a numeric uid (Kubernetes runAsNonRoot "
                         "can only verify numeric ones)")
            elif int(uid) == 0:
                self.err(rel, user.line, f"USER {user.args.strip()}: the runtime stage must run as a non-root user")
        health = last.get("HEALTHCHECK", [None])[-1]
        if health is None or health.args.strip().upper() == "NONE":
            self.err(rel, final.from_instr.line, "the runtime stage has no HEALTHCHECK")
        else:
            m = re.search(r"\bCMD\s+(.*)$", health.args)
            self.check_program(rel, health.line, "HEALTHCHECK", m.group(1) if m else "", shipped, closure)
        entry = last.get("ENTRYPOINT", [None])[-1]
        if entry is not None:
            self.check_program(rel, entry.line, "ENTRYPOINT", entry.args, shipped, closure)
        if "EXPOSE" not in last:
            self.err(rel, final.from_instr.line, "the runtime stage has no EXPOSE")
        volumes = " ".join(i.args for i in last.get("VOLUME", []))
        if DATA_VOLUME not in volumes:
            self.err(rel, final.from_instr.line, f"the runtime stage must declare VOLUME {DATA_VOLUME}")
        labels = " ".join(i.args for i in last.get("LABEL", []))
        for label in REQUIRED_LABELS:
            if label + "=" not in labels:
                self.err(rel, final.from_instr.line, f"the runtime stage has no LABEL {label}")

    def check_program(self, rel, line, what, args, shipped, closure):
        try:
            words = json.loads(args) if args.strip().startswith("[") else shlex.split(args)
        except ValueError:
            words = args.split()
        if not words:
            self.err(rel, line, f"{what} has no command")
            return
        program = words[0]
        if program in ("sh", "/bin/sh", "bash", "/bin/bash") and len(words) >= 3:
            program = shlex.split(words[2])[0] if words[1] == "-c" else program
        shipped_paths = {d for d, _, _ in shipped.values()}
        if os.path.basename(program) in shipped or program in shipped_paths:
            return
        path = program if program.startswith("/") else shutil.which(program)
        owner = self.dpkg.owner(path) if path else None
        if owner is None and os.path.basename(program) in closure:
            # Not installed on this machine: accepted because the profiles install a package of that name.
            self.notes.append(f"{rel}:{line}: {what} {program} is not installed here; package "
                              f"{os.path.basename(program)} of the runtime profiles assumed to provide it")
            return
        if owner is None:
            self.err(rel, line, f"{what}: cannot tell which package provides '{program}'")
        elif owner not in closure:
            self.err(rel, line, f"{what} runs {program} (package {owner}) but the runtime profiles do not install it")

    def check(self):
        if not self.load_profiles():
            return
        self.check_profiles()
        docker_dir = os.path.join(self.repo, DOCKER_DIR)
        present = sorted(f for f in os.listdir(docker_dir) if f.endswith(".Dockerfile")) if os.path.isdir(docker_dir) else []
        for f in present:
            if f not in IMAGES:
                self.err(f"{DOCKER_DIR}/{f}", 0, "unknown image: add it to IMAGES in tests/deploy/docker_check.py")
        for fname, spec in IMAGES.items():
            self.check_file(fname, spec)


# ---------------------------------------------------------------------------------------------
# Self-test: every break below must be reported (file, line and reason).

BREAKS = [
    ("coordinator.Dockerfile", "RUN bash /usr/local/sbin/install-deps.sh --profile runtime-coordinator --clean",
     "RUN apt-get update && apt-get install -y libsqlite3-0 && bash /usr/local/sbin/install-deps.sh --profile runtime-coordinator --clean",
     "coordinator.Dockerfile:", "installs packages outside"),
    ("coordinator.Dockerfile", "--profile runtime-coordinator", "--profile runtime-coordinatr",
     "coordinator.Dockerfile:", "unknown profile"),
    ("worker-cpu.Dockerfile", "USER 10001:10001", "USER root", "worker-cpu.Dockerfile:", "numeric uid"),
    ("worker-cpu.Dockerfile", "USER 10001:10001", "USER 0:0", "worker-cpu.Dockerfile:", "non-root"),
    ("worker-cpu.Dockerfile", "HEALTHCHECK --interval", "#HEALTHCHECK --interval",
     "worker-cpu.Dockerfile:", "no HEALTHCHECK"),
    ("coordinator.Dockerfile", "ARG BUILD_TYPE=Release\n", "", "coordinator.Dockerfile:",
     "${BUILD_TYPE} but ARG/ENV BUILD_TYPE is not declared"),
    ("worker-cpu.Dockerfile", "ARG DEBIAN_RUNTIME_IMAGE=debian:12-slim", "ARG DEBIAN_RUNTIME_IMAGE=ubuntu:24.04",
     "worker-cpu.Dockerfile:", "debian:12"),
    ("worker-cuda.Dockerfile", "FROM ${CUDA_RUNTIME_IMAGE} AS runtime", "FROM debian:12-slim AS runtime",
     "worker-cuda.Dockerfile:", "nvidia/cuda"),
    ("coordinator.Dockerfile", "COPY scripts/install-deps.sh", "COPY scripts/install-deps-old.sh",
     "coordinator.Dockerfile:", "does not exist"),
    ("../../.dockerignore", "tests\n", "tests\nscripts\n", "coordinator.Dockerfile:", "excluded by .dockerignore"),
    ("../../.dockerignore", "tests\n", "tests\nserver\n", "coordinator.Dockerfile:", "server (needed by CMake) is excluded"),
    ("worker-cuda.Dockerfile", "--packages-file /usr/local/share/ecgbench/runtime-packages.txt ", "",
     "worker-cuda.Dockerfile:", "--owners-of` lists in the build stage"),
    ("worker-cuda.Dockerfile", "--skip-dir /opt/libtorch \\\n      > /build/runtime-packages.txt",
     "--skip-dir /opt/torch \\\n      > /build/runtime-packages.txt", "worker-cuda.Dockerfile:", "copies nothing to /opt/torch"),
    ("worker-cpu.Dockerfile", "ARG VCS_REF=unknown\n", "ARG VCS_REF=unknown\nARG UNUSED_ARG=1\n",
     "worker-cpu.Dockerfile:", "ARG UNUSED_ARG is declared but never used"),
    ("worker-cpu.Dockerfile", "RUN bash /usr/local/sbin/install-deps.sh --owners-of /usr/local/bin/ecgbench-worker >/dev/null\n",
     "", "worker-cpu.Dockerfile:", "must check /usr/local/bin/ecgbench-worker"),
    ("../../scripts/install-deps.sh", "libyaml-cpp0.7 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libsqlite3-0",
     "libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libsqlite3-0", "coordinator.Dockerfile:",
     "does not provide package libyaml-cpp0.7"),
    ("../../scripts/install-deps.sh", "libtorch1.13 libblis4-openmp", "libblis4-openmp", "worker-cpu.Dockerfile:",
     "does not provide package libtorch1.13"),
    ("../../scripts/install-deps.sh", "libprometheus-cpp-pull1.0 libcivetweb1 libsqlite3-0",
     "libprometheus-cpp-pull1.0 libcivetweb1 libsqlite3-0 libtorch1.13", "coordinator.Dockerfile:",
     "must not contain LibTorch"),
    ("../../scripts/install-deps.sh", "libgomp1 curl", "libgomp1", "worker-cpu.Dockerfile:",
     "HEALTHCHECK runs curl (package curl)"),
]


def make_tree(repo, dest):
    for rel in (DOCKER_DIR, "scripts"):
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
    for f in os.listdir(os.path.join(repo, DOCKER_DIR)):
        shutil.copy(os.path.join(repo, DOCKER_DIR, f), os.path.join(dest, DOCKER_DIR, f))
    for rel in (INSTALL_DEPS, ".dockerignore", "CMakeLists.txt"):
        shutil.copy(os.path.join(repo, rel), os.path.join(dest, rel))
    text = open(os.path.join(repo, "CMakeLists.txt"), encoding="utf-8").read()
    for d in ["cmake"] + re.findall(r"add_subdirectory\(\s*([^\s)]+)", text):
        os.makedirs(os.path.join(dest, d), exist_ok=True)


def self_test(repo, binaries):
    failures = []
    with tempfile.TemporaryDirectory(prefix="docker_check.") as tmp:
        pristine = os.path.join(tmp, "pristine")
        make_tree(repo, pristine)
        c = Checker(pristine, binaries)
        c.check()
        if c.errors:
            failures.append("the unmodified copy does not pass:\n  " + "\n  ".join(c.errors))
        for i, (fname, old, new, where, reason) in enumerate(BREAKS):
            if where is None:
                continue
            tree = os.path.join(tmp, f"break{i}")
            make_tree(repo, tree)
            path = os.path.normpath(os.path.join(tree, DOCKER_DIR, fname))
            text = open(path, encoding="utf-8").read()
            if old not in text:
                failures.append(f"break {i}: '{old.strip()}' not found in {fname} (update BREAKS)")
                continue
            open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))
            c = Checker(tree, binaries)
            c.check()
            hits = [e for e in c.errors if reason in e and where in e and re.search(r":\d+: ", e)]
            if not hits:
                failures.append(f"break {i} ({fname}: '{new.strip()[:60]}') not reported as '{reason}'; "
                                f"got: {c.errors or 'no error'}")
            else:
                print(f"docker_check self-test: break {i} reported: {hits[0]}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", required=True)
    ap.add_argument("--binary", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    binaries = dict(b.split("=", 1) for b in a.binary)
    if a.self_test:
        failures = self_test(a.repo, binaries)
        for f in failures:
            print("docker_check self-test: FAIL: " + f)
        if failures:
            return 1
        print(f"docker_check self-test: OK ({len([b for b in BREAKS if b[3]])} breaks reported)")
        return 0
    c = Checker(a.repo, binaries)
    c.check()
    for n in c.notes:
        print("docker_check: note: " + n)
    for e in c.errors:
        print("docker_check: " + e)
    if c.errors:
        print(f"docker_check: FAILED ({len(c.errors)} problems)")
        return 1
    print(f"docker_check: OK ({len(IMAGES)} Dockerfiles, profiles: {' '.join(sorted(c.profiles))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
