"""Build lab: run the stacks' generated build paths for real on this machine, and prove the results.

    python -m tools.buildlab [STACK ...] [--out DIR]    (make buildlab; root; tools from make buildlab-deps)

For each stack (default: dev and openshift-dev) it plans the stack offline and runs both of its
build paths here, on this machine's buildah, against a registry (distribution v2) on 127.0.0.1:

- **Tekton**: the generated Pipeline's Tasks in DAG order (clone, every build at once, push). Each
  step's `script` is the generated Task's, with Tekton's substitutions done by `substitute()` (the
  subset it lists; anything else is an error). Each task runs on the node its PipelineRun template
  pins it to (`taskRunSpecs`);
- **GitLab**: the generated CI/CD component, included by a sample project as consumers include
  it, its jobs run unchanged by gitlab-ci-local's shell executor (`tools/gitlabci.py`), each on
  the node the stack's runner routes it to: its `KUBERNETES_NODE_SELECTOR_ARCH` if the runner's
  `node_selector_overwrite_allowed` accepts it, else the runner's `node_selector` (`job_node`).

A node of this machine's arch is this machine; a node of the other arch is this machine's kernel
with qemu registered as the binfmt DaemonSet registers it (handler, magic, mask and flags from
`components/binfmt.py`) and that arch's userland first on PATH (busybox, run by qemu): `uname -m`
there says the node's arch, and every `RUN` step of a build runs under qemu, as on a node of that
arch. Every node is ephemeral: each task or job gets container storage of its own, so what a
rebuild does not redo comes from the registry's layer cache, not from a local one.

The proofs: each pushed tag is an image index of exactly linux/amd64 and linux/arm64, each
platform's image of its own arch (its `uname -m` recorded at build time, its busybox an ELF file of
that arch). Then: a cold and a warm GitLab build (one source file changed, layers from the
registry cache), per arch; a GitLab build job the runner does not route (no overwrite: it lands
on this machine's arch) fails with the build step's one-line message and pushes nothing; the
binfmt DaemonSet's readiness check, run on this machine, is not Ready without the handler and Ready
with it. Native against emulated timings, cold against warm.

The machine is left as found: the handler unregistered (binfmt_misc unmounted if the lab mounted
it), the registry's certificate removed, the registry stopped by its PID.
DIR/summary.json holds the runs, exit codes, timings, index manifests and checks.
Exit status: 0 verified; 1 a step or a check failed; 2 a tool or a base package is missing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import io
import json
import os
import platform
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from components import arch, binfmt, buildscript, names, runner
from tools import cli, gitlabci, plan, stackfile

TOOLS = {
    "buildah": "buildah",
    "docker-registry": "docker-registry",
    "git": "git",
    "openssl": "openssl",
    "rsync": "rsync",
}
DEBS = stackfile.ROOT / "build" / "buildlab" / "debs"  # busybox-static per arch (make buildlab-deps)
BINFMT = Path(binfmt.HOST_BINFMT)
REGISTRY_PIDS: list[int] = []  # the registries this process started (the tests check they are gone)
CERTS_D = Path("/etc/containers/certs.d")  # where containers/image looks for a registry's CA
STEP_IMAGE_ENV = {"BUILDAH_ISOLATION": "chroot"}  # what quay.io/buildah/stable sets for its steps
ELF_MACHINE = {62: "amd64", 183: "arm64"}  # ELF e_machine: EM_X86_64, EM_AARCH64
UNAME = {a: facts.openshift for a, facts in arch.ARCH_FACTS.items()}  # x86_64, aarch64
HOST_ARCH = {u: a for a, u in UNAME.items()}.get(platform.machine(), platform.machine())
FOREIGN = "amd64" if HOST_ARCH == "arm64" else "arm64"  # the arch this machine builds under qemu
# What a base image and a node's userland hold: busybox and these applets.
APPLETS = (
    "sh", "uname", "gzip", "head", "seq", "ls", "cat", "echo", "mkdir", "rm", "wc", "dd", "sha256sum", "true",
    "tr", "sed", "grep", "basename", "touch", "printf", "tail", "env", "sleep", "time",
)  # fmt: skip
DEFAULT_STACKS = ("dev", "openshift-dev")

# The sample: an expensive layer, then the source file a change touches. The layer is CPU work, the
# same on every arch and timed (`time`: native against emulated), then a fixed wait standing in for
# what makes real layers expensive (downloads, compiles) at no CPU cost to this 2-core machine.
WAIT_SECONDS = 5
CONTAINERFILE = f"""\
FROM {{base}}
RUN time sh -c 'seq 1 3000000 | gzip -9 | wc -c > /work.size' && uname -m > /arch && sleep {WAIT_SECONDS}
COPY app.txt /app.txt
"""
CPU_TIME = re.compile(r"^real\s+(\d+)m\s*([0-9.]+)s$")


def cpu_seconds(lines: Sequence[str]) -> float | None:
    """The timed CPU work of the expensive layer, from a build's output (busybox `time`)."""
    for line in lines:
        m = CPU_TIME.match(line.strip())
        if m:
            return int(m[1]) * 60 + float(m[2])
    return None


class LabError(Exception):
    """The lab cannot go on; `exit_code` 2 when something is missing from the machine."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --- Tekton substitutions ---------------------------------------------------------------------

REF = re.compile(r"\$\(([a-z]+)\.([^)]*)\)")
SUPPORTED = (
    "$(params.NAME) of a string parameter, $(params.NAME[*]) as a whole element of a step's args, "
    "$(workspaces.NAME.path) (empty for an unbound optional workspace) and $(workspaces.NAME.bound)"
)
TEKTON_CONTEXTS = ("params", "workspaces", "context", "results", "steps", "tasks")


@dataclass(frozen=True)
class Workspace:
    path: str | None  # None: not bound


def substitute(text: str, params: Mapping[str, str | list[str]], workspaces: Mapping[str, Workspace]) -> str:
    """Tekton's variable substitution, the subset the generated Tasks use (SUPPORTED): any other
    Tekton reference is an error; `$(...)` that is not Tekton's (a shell command substitution
    such as `$(uname -m)`) is left as it is."""

    def one(m: re.Match[str]) -> str:
        context, rest = m[1], m[2]
        if context not in TEKTON_CONTEXTS:
            return m[0]
        if context == "params" and rest in params and isinstance(params[rest], str):
            return str(params[rest])
        if context == "workspaces":
            name, _, what = rest.rpartition(".")
            if name in workspaces and what == "bound":
                return "true" if workspaces[name].path is not None else "false"
            if name in workspaces and what == "path":
                return workspaces[name].path or ""  # an optional workspace left unbound: empty, as Tekton does
        raise LabError(f"unsupported Tekton substitution {m[0]!r}; the lab does {SUPPORTED}")

    return REF.sub(one, text)


def expand_args(
    args: Sequence[str], params: Mapping[str, str | list[str]], workspaces: Mapping[str, Workspace]
) -> list[str]:
    """A step's `args`: `$(params.NAME[*])` as a whole element expands to the array's items."""
    out: list[str] = []
    for arg in args:
        whole = re.fullmatch(r"\$\(params\.([^)\[]+)\[\*\]\)", arg)
        if whole and isinstance(params.get(whole[1]), list):
            out += list(params[whole[1]])
        else:
            out.append(substitute(arg, params, workspaces))
    return out


def task_params(task: Mapping[str, Any], given: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for p in task.get("params") or []:
        if p["name"] in given:
            out[p["name"]] = given[p["name"]]
        elif "default" in p:
            out[p["name"]] = p["default"]
        else:
            raise LabError(f"parameter {p['name']!r} has no value and no default")
    return out


def dag(pipeline: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """The Pipeline's tasks in levels: each level runs at once, after the previous one."""
    tasks = {t["name"]: t for t in pipeline["tasks"]}
    done: set[str] = set()
    levels = []
    while len(done) < len(tasks):
        ready = [t for n, t in tasks.items() if n not in done and set(t.get("runAfter") or []) <= done]
        if not ready:
            raise LabError(f"the Pipeline's runAfter has a cycle among {sorted(set(tasks) - done)}")
        levels.append(ready)
        done |= {t["name"] for t in ready}
    return levels


def task_nodes(run: Mapping[str, Any], tasks: Sequence[str]) -> dict[str, str]:
    """Each pipeline task's node arch, from the PipelineRun's taskRunSpecs (unpinned: any node,
    here this machine's arch)."""
    pinned = {
        s["pipelineTaskName"]: ((s.get("podTemplate") or {}).get("nodeSelector") or {}).get(arch.ARCH_LABEL)
        for s in (run.get("spec") or {}).get("taskRunSpecs") or []
    }
    return {t: pinned.get(t) or HOST_ARCH for t in tasks}


# --- how the runner routes a GitLab job -------------------------------------------------------------


def runner_config(helm_values: Mapping[str, Any]) -> dict[str, Any]:
    """The `[runners.kubernetes]` table of the runner's config.toml, from the chart's values."""
    config = tomllib.loads(str((helm_values.get("runners") or {}).get("config") or ""))
    (one,) = config["runners"]
    return dict(one.get("kubernetes") or {})


def job_node(variables: Mapping[str, str], kubernetes: Mapping[str, Any]) -> str:
    """The arch of the node a job lands on, as the Kubernetes executor decides: the job's
    `KUBERNETES_NODE_SELECTOR_*` where `node_selector_overwrite_allowed` accepts them (Go's
    regexp.MatchString: a match anywhere), else the runner's `node_selector`."""
    selector = dict(kubernetes.get("node_selector") or {})
    allowed = kubernetes.get("node_selector_overwrite_allowed")
    for key, value in variables.items():
        if key.startswith("KUBERNETES_NODE_SELECTOR_") and allowed and re.search(allowed, value):
            label, _, label_value = value.partition("=")
            selector[label] = label_value
    return str(selector.get(arch.ARCH_LABEL, HOST_ARCH))


# --- the machine --------------------------------------------------------------------------------


def missing_tools() -> list[str]:
    missing = [name for name, cmd in TOOLS.items() if shutil.which(cmd) is None]
    foreign = binfmt.QEMU_INTERPRETERS[FOREIGN]
    missing += [f"qemu-user-static ({foreign})"] if not Path(foreign).exists() else []
    missing += [
        f"busybox-static:{a} .deb in {DEBS}"
        for a in ("amd64", "arm64")
        if not list(DEBS.glob(f"busybox-static_*_{a}.deb"))
    ]
    missing += [m for m in gitlabci.missing() if m not in missing]
    return missing


def binfmt_ready(platforms: Sequence[str]) -> tuple[bool, str]:
    """The DaemonSet's readiness check, the same command, run on this machine's binfmt_misc."""
    proc = subprocess.run(binfmt.readiness_command(platforms, str(BINFMT)), capture_output=True, text=True, check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


@contextmanager
def qemu_registered(a: str, log: list[str], probe: Callable[[str], None] | None = None) -> Iterator[None]:
    """The arch's handler registered as the DaemonSet registers it; the machine left as found.
    `probe(moment)` runs before the registration and after it is undone (binfmt_misc mounted)."""
    handler = binfmt.HANDLERS[a]
    mounted = False
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
        mounted = True
    registered = False
    try:
        if (BINFMT / handler.name).exists():
            log.append(f"qemu: {handler.name} was already registered on this machine; left as it is")
        else:
            if probe:
                probe("before registering")
            (BINFMT / "register").write_text(handler.line(binfmt.QEMU_INTERPRETERS[a]))
            registered = True
            flags = (BINFMT / handler.name).read_text().split("flags: ", 1)[1].split("\n", 1)[0]
            log.append(f"qemu: registered {handler.name} with flags {flags} (as the DaemonSet does on nodes)")
        if probe:
            probe("registered")
        yield
    finally:
        if registered:
            (BINFMT / handler.name).write_text("-1")
            log.append(f"qemu: unregistered {handler.name}")
            if probe:
                probe("unregistered")
        if mounted:
            subprocess.run(["umount", str(BINFMT)], check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def trusted_certificate(lab: Path, address: str, log: list[str]) -> Iterator[tuple[Path, Path]]:
    """A certificate for the lab registry, trusted by buildah for `address` only
    (containers' certs.d), removed at the end: the scripts push over TLS, unchanged."""
    key, cert = lab / "registry.key", lab / "registry.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=multiarch-buildlab",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    created = [d for d in (CERTS_D, CERTS_D / address) if not d.exists()]
    (CERTS_D / address).mkdir(parents=True, exist_ok=True)
    (CERTS_D / address / "ca.crt").write_bytes(cert.read_bytes())
    log.append(f"registry: TLS with a lab certificate, trusted for {address} in {CERTS_D}")
    try:
        yield key, cert
    finally:
        (CERTS_D / address / "ca.crt").unlink(missing_ok=True)
        for d in reversed(created):
            d.rmdir()
        log.append(f"registry: certificate for {address} removed from {CERTS_D}")


@contextmanager
def registry(lab: Path, log: list[str]) -> Iterator[str]:
    """A distribution v2 registry on 127.0.0.1 (TLS), stopped by its PID."""
    port = free_port()
    with trusted_certificate(lab, f"127.0.0.1:{port}", log) as (key, cert), _serve(lab, port, key, cert, log):
        yield f"127.0.0.1:{port}"


@contextmanager
def _serve(lab: Path, port: int, key: Path, cert: Path, log: list[str]) -> Iterator[None]:
    config = lab / "registry.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 0.1,
                "log": {"level": "error"},
                "storage": {"filesystem": {"rootdirectory": str(lab / "registry")}},
                "http": {"addr": f"127.0.0.1:{port}", "tls": {"certificate": str(cert), "key": str(key)}},
            }
        )
    )
    with (lab / "registry.log").open("w") as out:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise LabError(f"the registry did not start: {(lab / 'registry.log').read_text()[-500:]}") from None
                time.sleep(0.1)
        log.append(f"registry: 127.0.0.1:{port} (pid {proc.pid})")
        REGISTRY_PIDS.append(proc.pid)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.append(f"registry: stopped (pid {proc.pid})")


@dataclass
class Env:
    """The lab's nodes: where a step's tools find their storage, credentials and userland."""

    lab: Path
    registry: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    _count: int = 0

    def node(self, node_arch: str, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a step or job on a fresh node of `node_arch`: storage of its own (nodes
        are ephemeral), and on the foreign arch that arch's userland first on PATH."""
        self._count += 1
        home = self.lab / "nodes" / f"{self._count:03d}-{name}"
        (home / "home").mkdir(parents=True, exist_ok=True)
        storage = home / "storage.conf"
        storage.write_text(
            tomli_w.dumps(
                {"storage": {"driver": "vfs", "graphroot": str(home / "storage"), "runroot": str(home / "run")}}
            )
        )
        (home / "auth.json").write_text("{}\n")  # the node's registry logins (buildah wants the file)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTAINERS_", "BUILDAH_", "STORAGE_"))}
        path = env.get("PATH", "")
        if node_arch != HOST_ARCH:
            path = f"{userland(self.lab, node_arch)}{os.pathsep}{path}"
        return {
            **env,
            **STEP_IMAGE_ENV,
            "PATH": path,
            "HOME": str(home / "home"),
            "CONTAINERS_STORAGE_CONF": str(storage),
            "REGISTRY_AUTH_FILE": str(home / "auth.json"),
            **(extra or {}),
        }

    def client(self) -> Registry:
        return Registry(self.registry, self.lab / "registry.crt")

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> float:
        start = time.monotonic()
        proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)
        seconds = round(time.monotonic() - start, 2)
        self.log_run(name, proc.returncode, seconds, proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise LabError(f"{name} failed (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-1500:]}")
        return seconds

    def log_run(self, name: str, exit_code: int, seconds: float, output: str) -> None:
        (self.lab / "logs").mkdir(exist_ok=True)
        (self.lab / "logs" / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.log").write_text(output)
        self.runs.append({"step": name, "exitCode": exit_code, "seconds": seconds})


def _busybox_tree(lab: Path, a: str) -> Path:
    """busybox of arch `a` with its applets, unpacked from the Debian package once."""
    tree = lab / "busybox" / a
    if not tree.exists():
        (deb,) = DEBS.glob(f"busybox-static_*_{a}.deb")
        (tree / "bin").mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree / "deb")], check=True)
        shutil.copy2(tree / "deb" / "bin" / "busybox", tree / "bin" / "busybox")
        for applet in APPLETS:
            (tree / "bin" / applet).symlink_to("busybox")
    return tree / "bin"


def userland(lab: Path, a: str) -> Path:
    """A node of arch `a`'s userland: its busybox applets (run by qemu on this machine)."""
    return _busybox_tree(lab, a)


def base_images(env: Env) -> str:
    """The lab's base: busybox of each arch, as one image index in the lab registry."""
    tag = f"{env.registry}/lab/base"
    e = env.node(HOST_ARCH, "base")
    for a in ("amd64", "arm64"):
        root = env.lab / "bases" / a
        (root / "tmp").mkdir(parents=True)
        shutil.copytree(_busybox_tree(env.lab, a), root / "bin", symlinks=True)
        ctr = subprocess.run(
            ["buildah", "from", "--arch", a, "--os", "linux", "scratch"],
            env=e,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        env.run(f"base-{a}-copy", ["buildah", "copy", ctr, str(root), "/"], e)
        env.run(f"base-{a}-config", ["buildah", "config", "--arch", a, "--os", "linux", ctr], e)
        env.run(f"base-{a}-commit", ["buildah", "commit", ctr, f"{tag}:{a}"], e)
        env.run(f"base-{a}-push", ["buildah", "push", f"{tag}:{a}"], e)
    env.run("base-index", ["buildah", "manifest", "create", "lab-base"], e)
    for a in ("amd64", "arm64"):
        env.run(f"base-index-{a}", ["buildah", "manifest", "add", "lab-base", f"docker://{tag}:{a}"], e)
    env.run("base-index-push", ["buildah", "manifest", "push", "--all", "lab-base", f"docker://{tag}:latest"], e)
    return f"{tag}:latest"


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=lab", "-c", "user.email=lab@example.invalid", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def sample_project(lab: Path, base: str) -> Path:
    """The sample as a git repository: the Containerfile, and its source file."""
    repo = lab / "project"
    repo.mkdir()
    (repo / "Containerfile").write_text(CONTAINERFILE.format(base=base))
    (repo / "app.txt").write_text("v1\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "sample")
    return repo


# --- the Tekton path ------------------------------------------------------------------------------


def run_task(
    env: Env,
    ptask: Mapping[str, Any],
    task: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    shared: Mapping[str, Path],
    node_arch: str,
) -> float:
    given: dict[str, str | list[str]] = {}
    for p in ptask.get("params") or []:
        value = p["value"]
        given[p["name"]] = (
            [substitute(v, pipeline_params, {}) for v in value]
            if isinstance(value, list)
            else substitute(value, pipeline_params, {})
        )
    params = task_params(task, given)
    bound = {w["name"]: w["workspace"] for w in ptask.get("workspaces") or []}
    workspaces = {
        w["name"]: Workspace(str(shared[bound[w["name"]]]) if bound.get(w["name"]) in shared else None)
        for w in task.get("workspaces") or []
    }
    seconds = 0.0
    node = None
    for step in task["steps"]:
        name = f"tekton-{ptask['name']}-{step['name']}"
        script = env.lab / "steps" / f"{name}-{env._count}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(substitute(step["script"], params, workspaces))
        script.chmod(0o755)
        args = expand_args(step.get("args") or [], params, workspaces)
        cwd = Path(substitute(step["workingDir"], params, workspaces)) if "workingDir" in step else None
        extra = {e["name"]: substitute(e["value"], params, workspaces) for e in step.get("env") or []}
        node = node or env.node(node_arch, ptask["name"])  # one pod: its steps share the node
        seconds += env.run(name, [str(script), *args], {**node, **extra}, cwd)
    return seconds


def run_pipeline(
    env: Env,
    objects: Mapping[str, Mapping[str, Any]],
    pipeline: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    nodes: Mapping[str, str],
    log: list[str],
) -> dict[str, float]:
    shared = {
        w["name"]: env.lab / "workspaces" / f"{env._count}-{w['name']}"
        for w in pipeline.get("workspaces") or []
        if not w.get("optional")
    }
    for path in shared.values():
        path.mkdir(parents=True)
    timings: dict[str, float] = {}
    for level in dag(pipeline):
        log.append(
            "tekton: "
            + ", ".join(f"{t['name']} on {nodes[t['name']]}" for t in level)
            + (" (at once)" if len(level) > 1 else "")
        )
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(level)) as pool:
            futures = {
                t["name"]: pool.submit(
                    run_task, env, t, objects[t["taskRef"]["name"]], pipeline_params, shared, nodes[t["name"]]
                )
                for t in level
            }
            for name, future in futures.items():
                timings[name] = future.result()
    return timings


# --- the GitLab path -------------------------------------------------------------------------------


def _job_seconds(job: str, output: str) -> float | None:
    """The job's own duration, as gitlab-ci-local reports it (`<job> finished in 8.2 s`: its own
    start-up not included)."""
    found = re.findall(rf"^{re.escape(job)} finished in ([0-9.]+) (ms|s|min)$", output, re.MULTILINE)
    if not found:
        return None
    value, unit = found[-1]
    return float(value) / 1000 if unit == "ms" else float(value) * (60 if unit == "min" else 1)


@dataclass
class GitLabStack:
    """A stack's GitLab path: its component and its runner's routing."""

    stack: str
    component: str
    kubernetes: dict[str, Any]  # the runner's [runners.kubernetes]
    expanded: tuple[dict[str, Any], list[str]] | None = None  # gitlab-ci-local's preview and its jobs


def gitlab_project(lab: Path, repo: Path, stacks: Sequence[GitLabStack]) -> gitlabci.Project:
    """The sample project as a consumer of every stack's component: a pipeline that includes one
    stack's component at a time (`--file`), beside its own `default:`, variables and stages."""
    files = {
        "Containerfile": (repo / "Containerfile").read_text(),
        "app.txt": (repo / "app.txt").read_text(),
        **{f"templates/{s.stack}.yml": s.component for s in stacks},
    }
    for s in stacks:
        files[f"ci/{s.stack}.gitlab-ci.yml"] = yaml.safe_dump(consumer_pipeline(s.stack), sort_keys=False)
    first = stacks[0].stack
    return gitlabci.Project(lab / "gitlab", consumer_pipeline(first), files)


TAG = "${CI_COMMIT_SHORT_SHA}-ARCH-OS"


def consumer_pipeline(component: str) -> dict[str, Any]:
    """A consumer's pipeline: its own default (which must not reach the component's jobs), stages,
    variables, and the component included by `component:`, as a catalog user writes it."""
    return {
        "stages": ["test", "build"],
        "default": {"before_script": ["echo 'the consumer default ran here' && exit 3"]},
        "variables": {"CONSUMER_GLOBAL": "yes"},
        # A tag with ARCH and OS in it: per-arch references are built, never substituted into.
        "include": [gitlabci.include(component, {"dockerfile": "Containerfile", "image-tag": TAG})],
    }


def gitlab_pipeline(
    env: Env,
    project: gitlabci.Project,
    s: GitLabStack,
    variables: Mapping[str, str],
    log: list[str],
    route: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a stack's component jobs with gitlab-ci-local: every build job on the node the runner
    routes it to (`route`: another runner config), then the manifest job. Per job: exit code,
    seconds, node."""
    kubernetes = route if route is not None else s.kubernetes
    if s.expanded is None:  # the same for every pipeline of this stack's component: asked once
        s.expanded = (project.preview(), [j for j, d in project.jobs().items() if d["when"] != "never"])
    preview, jobs = s.expanded
    build_vars = {k: str(v) for k, v in (preview[runner.BUILD_JOB].get("variables") or {}).items()}
    manifest_vars = {k: str(v) for k, v in (preview[runner.MANIFEST_JOB].get("variables") or {}).items()}

    def one(job: str) -> dict[str, Any]:
        m = re.fullmatch(rf"{runner.BUILD_JOB}: \[(.+)\]", job)
        job_vars = {k: v.replace("${ARCH}", m[1]) for k, v in build_vars.items()} if m else manifest_vars
        node = job_node(job_vars, kubernetes)
        node_env = env.node(node, f"{s.stack}-{job}")
        lab_env = {k: node_env[k] for k in ("PATH", "HOME", "CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE")}
        start = time.monotonic()
        result = project.run(job, {**variables, **lab_env, **STEP_IMAGE_ENV})
        seconds = _job_seconds(job, result.output) or round(time.monotonic() - start, 2)
        env.log_run(f"gitlab-{s.stack}-{job}", result.exit_code, seconds, result.output)
        log.append(f"gitlab: {s.stack}: {job} on an {node} node: exit {result.exit_code} in {seconds:.1f} s")
        return {"exitCode": result.exit_code, "seconds": seconds, "node": node, "output": result.lines()}

    # The build jobs at once, as GitLab runs one stage's jobs; then the manifest job, which needs them.
    builds = [j for j in jobs if j != runner.MANIFEST_JOB]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(builds) or 1) as pool:
        out: dict[str, Any] = dict(zip(builds, pool.map(one, builds), strict=True))
    if runner.MANIFEST_JOB in jobs and all(r["exitCode"] == 0 for r in out.values()):
        out[runner.MANIFEST_JOB] = one(runner.MANIFEST_JOB)
    return out


# --- verification ------------------------------------------------------------------------------


MEDIA_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


class Registry:
    """The lab registry's v2 API, over TLS trusting the lab's certificate only: what a client of the
    pushed images sees, read directly (no tool in between)."""

    def __init__(self, address: str, ca: Path) -> None:
        self.address = address
        self.context = ssl.create_default_context(cafile=str(ca))

    def get(self, repository: str, kind: str, reference: str) -> bytes | None:
        """A manifest or blob, or None when the registry has none."""
        request = urllib.request.Request(
            f"https://{self.address}/v2/{repository}/{kind}/{reference}", headers={"Accept": MEDIA_TYPES}
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def exists(self, image: str) -> bool:
        repository, _, tag = image.split("/", 1)[1].rpartition(":")
        return self.get(repository, "manifests", tag) is not None

    def files(self, repository: str, manifest: Mapping[str, Any]) -> dict[str, bytes]:
        """Every regular file of an image (later layers win), with its first bytes."""
        files: dict[str, bytes] = {}
        for layer in manifest["layers"]:
            blob = self.get(repository, "blobs", layer["digest"]) or b""
            with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        handle = tar.extractfile(member)
                        if handle is not None:
                            files[member.name.lstrip("./")] = handle.read(64)
        return files


def verify(env: Env, image: str) -> dict[str, Any]:
    """The pushed tag is an index of exactly linux/amd64 and linux/arm64, each image of its own arch."""
    registry = env.client()
    repository, _, tag = image.split("/", 1)[1].rpartition(":")
    raw = registry.get(repository, "manifests", tag)
    if raw is None:
        raise LabError(f"{image} was not pushed")
    index = json.loads(raw)
    platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index.get("manifests", []))
    checks: dict[str, Any] = {"image": image, "index": index, "platforms": platforms, "images": {}}
    if platforms != ["linux/amd64", "linux/arm64"]:
        raise LabError(f"{image} is not an index of exactly linux/amd64 and linux/arm64: {platforms}")
    for m in index["manifests"]:
        a = m["platform"]["architecture"]
        manifest = json.loads(registry.get(repository, "manifests", m["digest"]) or b"{}")
        files = registry.files(repository, manifest)
        recorded = files.get("arch", b"").decode().strip()
        elf = files.get("bin/busybox", b"")
        machine = ELF_MACHINE.get(int.from_bytes(elf[18:20], "little")) if elf[:4] == b"\x7fELF" else None
        checks["images"][a] = {"unameAtBuild": recorded, "busyboxElf": machine}
        if recorded != UNAME[a] or machine != a:
            raise LabError(f"the {a} image records uname -m {recorded!r} and holds a {machine} busybox")
    return checks


# --- the command -------------------------------------------------------------------------------


@dataclass
class StackPaths:
    """What the lab takes from a stack's plan: its Tekton objects and run template, its GitLab side."""

    stack: str
    tasks: dict[str, dict[str, Any]]
    pipeline: dict[str, Any]
    run: dict[str, Any]
    gitlab: GitLabStack | None


def stack_paths(stack: str) -> StackPaths:
    planned = plan.make(stack, policies=False)
    rec = planned.recording
    tasks = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"] for r in rec.by_type("kubernetes:tekton.dev/v1:Task")
    }
    (pipeline,) = [r.plain_inputs["spec"] for r in rec.by_type("kubernetes:tekton.dev/v1:Pipeline")]
    (template,) = [
        r.plain_inputs["data"][names.PIPELINE_RUN_TEMPLATE_KEY]
        for r in rec.by_type("kubernetes:core/v1:ConfigMap")
        if r.plain_inputs["metadata"]["name"] == names.PIPELINE_RUN_TEMPLATE
    ]
    gitlab = None
    component = rec.outputs.get("gitlabCiTemplate")
    if isinstance(component, str):
        release = next(
            r for r in rec.by_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["chart"] == "gitlab-runner"
        )
        gitlab = GitLabStack(stack, component, runner_config(release.plain_inputs["values"]))
    return StackPaths(stack, tasks, pipeline, yaml.safe_load(template), gitlab)


def lab_run(stacks: Sequence[str], out: Path, say: Callable[[str], None]) -> dict[str, Any]:
    missing = missing_tools()
    if missing:
        raise LabError(f"missing: {', '.join(missing)}; run `make buildlab-deps` (Debian, as root)", exit_code=2)
    paths = [stack_paths(s) for s in stacks]
    log = [f"plan: {p.stack}: Pipeline tasks {[t['name'] for t in p.pipeline['tasks']]}" for p in paths]
    log.append("steps and jobs run on this machine's buildah and git, not in the step and job images")
    summary: dict[str, Any] = {"stacks": list(stacks), "machine": " ".join(platform.uname()), "host": HOST_ARCH}
    summary["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    readiness: dict[str, Any] = {}

    def probe(moment: str) -> None:
        ready, said = binfmt_ready([FOREIGN])
        readiness[moment] = {"ready": ready, "said": said}
        log.append(f"binfmt readiness ({moment}): {'Ready' if ready else 'not Ready'}: {said}")

    with tempfile.TemporaryDirectory(prefix="multiarch-buildlab-") as tmp:
        lab = Path(tmp)
        with qemu_registered(FOREIGN, log, probe), registry(lab, log) as reg:
            env = Env(lab, reg)
            repo = sample_project(lab, base_images(env))
            # GitLab first: its cold jobs, each alone, give native against emulated; then the Tekton
            # path, with the same layer cache.
            gitlab = [p.gitlab for p in paths if p.gitlab is not None]
            summary["gitlab"] = gitlab_path(env, lab, repo, gitlab, log) if gitlab else {}
            summary["tekton"] = tekton_path(env, paths, repo, log)
            summary["steps"] = env.runs
        summary["binfmtReadiness"] = readiness
        summary["log"] = log
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for line in log:
        say(line)
    for line in report(summary):
        say(line)
    return summary


def tekton_path(env: Env, paths: Sequence[StackPaths], repo: Path, log: list[str]) -> dict[str, Any]:
    """Every stack's Pipeline run, each task on its pinned node, with the GitLab path's layer cache."""
    out: dict[str, Any] = {}
    for p in paths:
        image = f"{env.registry}/lab/tekton-{p.stack}:latest"
        params = {
            "git-url": f"file://{repo}",
            "git-revision": "main",
            "image": image,
            "context-dir": ".",
            "containerfile-path": "Containerfile",
            "cache-repository": f"{env.registry}/group/myapp/myapp/cache",  # the GitLab path's
        }
        nodes = task_nodes(p.run, [t["name"] for t in p.pipeline["tasks"]])
        timings = run_pipeline(env, p.tasks, p.pipeline, params, nodes, log)
        checks = verify(env, image)
        native = {a: timings[f"build-{a}"] for a in arch.ARCHES}
        out[p.stack] = {"nodes": nodes, "timings": timings, "build": native, "checks": checks}
    return out


def gitlab_path(env: Env, lab: Path, repo: Path, stacks: Sequence[GitLabStack], log: list[str]) -> dict[str, Any]:
    """The first stack's component cold, then warm after a source change, then each other stack's;
    then a build job the runner does not route, which must fail and push nothing."""
    project = gitlab_project(lab, repo, stacks)
    variables = {
        "CI_REGISTRY": env.registry,
        "CI_REGISTRY_USER": "lab",
        "CI_REGISTRY_PASSWORD": "lab",
        "CI_REGISTRY_IMAGE": f"{env.registry}/group/myapp",
    }
    out: dict[str, Any] = {"runs": {}}

    def pipeline(label: str, s: GitLabStack, route: Mapping[str, Any] | None = None) -> dict[str, Any]:
        (project.root / ".gitlab-ci.yml").write_text((project.root / "ci" / f"{s.stack}.gitlab-ci.yml").read_text())
        _git(project.root, "commit", "-qam", f"{label}: {s.stack}", "--allow-empty")
        tag = TAG.replace("${CI_COMMIT_SHORT_SHA}", _git(project.root, "rev-parse", "--short=8", "HEAD"))
        jobs = gitlab_pipeline(env, project, s, variables, log, route)
        image = f"{env.registry}/group/myapp/myapp:{tag}"
        return {"stack": s.stack, "tag": tag, "image": image, "jobs": jobs}

    first = stacks[0]
    cold = pipeline("cold", first)
    out["runs"]["cold"] = cold
    _require_success(cold)
    cold["checks"] = verify(env, cold["image"])
    (project.root / "app.txt").write_text("v2: one source file changed\n")
    warm = pipeline("warm", first)
    out["runs"]["warm"] = warm
    _require_success(warm)
    warm["checks"] = verify(env, warm["image"])
    out["coldWarm"] = {
        a: {
            "cold": cold["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["seconds"],
            "warm": warm["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["seconds"],
            "cpu": cpu_seconds(cold["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["output"]),
        }
        for a in arch.ARCHES
    }
    for t in out["coldWarm"].values():
        t["ratio"] = round(t["warm"] / t["cold"], 2)
    for s in stacks[1:]:
        other = pipeline("other stack", s)
        out["runs"][s.stack] = other
        _require_success(other)
        other["checks"] = verify(env, other["image"])
    # A runner that does not route jobs (no node_selector_overwrite_allowed): the foreign arch's job
    # lands on this machine's arch.
    unrouted = {k: v for k, v in first.kubernetes.items() if k != "node_selector_overwrite_allowed"}
    wrong = pipeline("unrouted", first, route=unrouted)
    job = f"{runner.BUILD_JOB}: [{FOREIGN}]"
    ran = wrong["jobs"].get(job) or {}
    pushed = [
        ref
        for ref in (f"myapp-{FOREIGN}:{wrong['tag']}", f"myapp:{wrong['tag']}")
        if env.client().exists(f"{env.registry}/group/myapp/{ref}")
    ]
    out["wrongArch"] = {"job": job, **ran, "pushed": pushed, "tag": wrong["tag"]}
    if ran.get("exitCode") in (None, 0) or pushed:
        raise LabError(f"the {FOREIGN} job on an {HOST_ARCH} node did not fail, or pushed {pushed}: {ran}")
    out["wrongSlot"] = wrong_slot(env, f"{env.registry}/group/myapp/myapp-{HOST_ARCH}:{wrong['tag']}")
    return out


def wrong_slot(env: Env, image: str) -> dict[str, Any]:
    """The manifest step's own check, run with buildah: a `HOST_ARCH` image offered for the
    `FOREIGN` slot (what a build that ran elsewhere, unchecked, would have pushed) is refused."""
    script = "\n".join(
        [
            f"buildah manifest create {runner.MANIFEST_LIST}",
            f'buildah manifest add {runner.MANIFEST_LIST} "docker://$ref"',
            buildscript.slot_check(runner.MANIFEST_LIST),
        ]
    )
    e = env.node(HOST_ARCH, "wrong-slot", {"slot": FOREIGN, "ref": image})
    proc = subprocess.run(["sh", "-c", script], env=e, capture_output=True, text=True, check=False)
    said = [line for line in proc.stderr.splitlines() if line.startswith("multiarch:")]
    env.log_run("wrong-slot", proc.returncode, 0.0, proc.stdout + proc.stderr)
    if proc.returncode == 0 or not said:
        raise LabError(f"a {HOST_ARCH} image in the {FOREIGN} slot was not refused: {proc.stderr[-500:]}")
    return {"slot": FOREIGN, "image": image, "exitCode": proc.returncode, "said": said[0]}


def _require_success(run: Mapping[str, Any]) -> None:
    failed = [(job, r) for job, r in run["jobs"].items() if r["exitCode"] != 0]
    if failed:
        job, r = failed[0]
        raise LabError(f"gitlab: {run['stack']}: {job} failed (exit {r['exitCode']}): {' | '.join(r['output'][-5:])}")


def report(summary: Mapping[str, Any]) -> list[str]:
    """What the lab proved, in a few lines."""
    lines = []

    def verified(path: str, label: str, checks: Mapping[str, Any]) -> str:
        images = "; ".join(
            f"{a}: uname -m {i['unameAtBuild']}, {i['busyboxElf']} ELF" for a, i in checks["images"].items()
        )
        image = checks["image"].split("/", 1)[1]
        return f"verified ({path}, {label}): {image}: {', '.join(checks['platforms'])}; {images}"

    for stack, t in (summary.get("tekton") or {}).items():
        lines.append(verified("tekton", stack, t["checks"]))
    gitlab = summary.get("gitlab") or {}
    for label, run in (gitlab.get("runs") or {}).items():
        lines.append(verified("gitlab", f"{run['stack']}, {label}", run["checks"]))
    cold_warm = gitlab.get("coldWarm") or {}
    if cold_warm and cold_warm[HOST_ARCH]["cpu"] and cold_warm[FOREIGN]["cpu"]:
        native, emulated = cold_warm[HOST_ARCH]["cpu"], cold_warm[FOREIGN]["cpu"]
        lines.append(
            f"the expensive layer's CPU work: {HOST_ARCH} (native) {native:.1f} s, {FOREIGN} (emulated) "
            f"{emulated:.1f} s: emulated is {emulated / native:.1f}x slower (then a {WAIT_SECONDS} s wait on both)"
        )
    for a, t in cold_warm.items():
        lines.append(
            f"gitlab build {a}: cold {t['cold']:.1f} s, warm {t['warm']:.1f} s (one source file changed, layers from "
            f"the registry cache): warm is {t['ratio']:.0%} of cold"
        )
    wrong = gitlab.get("wrongArch")
    if wrong:
        said = next((line for line in wrong.get("output", []) if line.startswith("multiarch:")), "")
        lines.append(
            f"wrong arch: {wrong['job']} on an {wrong['node']} node: exit {wrong['exitCode']}, pushed nothing: {said}"
        )
    slot = gitlab.get("wrongSlot")
    if slot:
        lines.append(f"wrong slot: the manifest step refuses it: exit {slot['exitCode']}: {slot['said']}")
    for moment, r in (summary.get("binfmtReadiness") or {}).items():
        lines.append(f"binfmt readiness {moment}: {'Ready' if r['ready'] else 'not Ready'} ({r['said']})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.buildlab", description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", default=list(DEFAULT_STACKS))
    parser.add_argument("--out", type=Path, default=stackfile.ROOT / "build" / "buildlab")
    args = parser.parse_args(argv)
    try:
        lab_run(args.stacks, args.out, print)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(map(str, exc.cmd))} failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    except plan.PlanError as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    cli.run(main)
