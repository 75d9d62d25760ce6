"""Build lab: run the stack's generated build path for real on this machine, and prove the result.

    python -m tools.buildlab [STACK] [--out DIR]        (make buildlab; root; tools from make buildlab-deps)

It plans STACK offline, takes the generated Tekton Pipeline and Tasks, and runs them here:
- a local git repository with a sample project: its Containerfile is `FROM` the lab's per-arch
  busybox base (an image index in the lab registry), has a `RUN` step doing real CPU work
  (compressing generated data) and records `uname -m` in the image;
- the Pipeline's tasks in DAG order (clone, then every build at once, then push); each step's
  `script` is the generated Task's, with Tekton's substitutions done by `substitute()` (the subset
  it lists; anything else is an error). Steps run on the host's `buildah` and `git`, not in the
  step image (the output says so), with what the step image and its pod would give them: the
  buildah image's `BUILDAH_ISOLATION=chroot`, the step's `env`, its own container storage (the
  Task's emptyDir), and one shared directory per workspace (RWX, like EFS). A build for another
  arch runs its `RUN` steps under qemu, as on a node of the other arch with the binfmt DaemonSet;
  its own arch's builds run natively;
- a registry (`docker-registry`, distribution v2) on 127.0.0.1 at a free port, started and stopped
  by its PID;
- qemu registered for the emulated arch exactly as the DaemonSet registers it on nodes (handler
  name, magic, mask and flags from `components/binfmt.py`), and unregistered at the end (and
  binfmt_misc unmounted if the lab mounted it): the machine is left as found;
- verification: the pushed tag is an image index with exactly linux/amd64 and linux/arm64; each
  platform's image records its own arch (`uname -m` at build time) and its binaries are ELF files
  of that arch;
- timing: the native build against the emulated one, as a ratio.

DIR/summary.json holds the steps run, exit codes, timings, the index manifest and the checks.
Exit status: 0 verified; 1 a step or a check failed; 2 a tool or a base package is missing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from components import binfmt
from tools import cli, plan, stackfile

TOOLS = {
    "buildah": "buildah",
    "skopeo": "skopeo",
    "docker-registry": "docker-registry",
    "git": "git",
    "openssl": "openssl",
}
DEBS = stackfile.ROOT / "build" / "buildlab" / "debs"  # busybox-static per arch (make buildlab-deps)
BINFMT = Path("/proc/sys/fs/binfmt_misc")
REGISTRY_PIDS: list[int] = []  # the registries this process started (the tests check they are gone)
CERTS_D = Path("/etc/containers/certs.d")  # where containers/image looks for a registry's CA
STEP_IMAGE_ENV = {"BUILDAH_ISOLATION": "chroot"}  # what quay.io/buildah/stable sets for its steps
ELF_MACHINE = {62: "amd64", 183: "arm64"}  # ELF e_machine: EM_X86_64, EM_AARCH64
UNAME = {"amd64": "x86_64", "arm64": "aarch64"}
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
FOREIGN = "amd64" if HOST_ARCH == "arm64" else "arm64"  # the arch this machine builds under qemu
APPLETS = ("sh", "uname", "gzip", "head", "seq", "ls", "cat", "echo", "mkdir", "rm", "wc", "dd", "sha256sum", "true")

CONTAINERFILE = """\
FROM {base}
# Real CPU work, the same on every arch: generate 21 MB of text and compress it.
RUN seq 1 3000000 > /data && gzip -9 /data && ls -l /data.gz > /size && uname -m > /arch
"""


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
    return missing


@contextmanager
def qemu_registered(arch: str, log: list[str]) -> Iterator[None]:
    """The arch's handler registered as the DaemonSet registers it; the machine left as found."""
    handler = binfmt.HANDLERS[arch]
    mounted = False
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
        mounted = True
    registered = False
    try:
        if (BINFMT / handler.name).exists():
            log.append(f"qemu: {handler.name} was already registered on this machine; left as it is")
        else:
            (BINFMT / "register").write_text(handler.line(binfmt.QEMU_INTERPRETERS[arch]))
            registered = True
            flags = (BINFMT / handler.name).read_text().split("flags: ", 1)[1].split("\n", 1)[0]
            log.append(f"qemu: registered {handler.name} with flags {flags} (as the DaemonSet does on nodes)")
        yield
    finally:
        if registered:
            (BINFMT / handler.name).write_text("-1")
            log.append(f"qemu: unregistered {handler.name}")
        if mounted:
            subprocess.run(["umount", str(BINFMT)], check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def trusted_certificate(lab: Path, address: str, log: list[str]) -> Iterator[tuple[Path, Path]]:
    """A certificate for the lab registry, trusted by buildah and skopeo for `address` only
    (containers' certs.d), removed at the end: the Task scripts push over TLS, unchanged."""
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
    """Where a step's tools find their configuration: its own storage, the lab's registries."""

    lab: Path
    registry: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    def containers(self, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        home = self.lab / "steps" / name
        (home / "home").mkdir(parents=True, exist_ok=True)
        storage = home / "storage.conf"
        storage.write_text(
            tomli_w.dumps(
                {"storage": {"driver": "vfs", "graphroot": str(home / "storage"), "runroot": str(home / "run")}}
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTAINERS_", "BUILDAH_", "STORAGE_"))}
        return {
            **env,
            **STEP_IMAGE_ENV,
            "HOME": str(home / "home"),
            "CONTAINERS_STORAGE_CONF": str(storage),
            **(extra or {}),
        }

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> float:
        start = time.monotonic()
        proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)
        seconds = round(time.monotonic() - start, 2)
        (self.lab / "logs").mkdir(exist_ok=True)
        (self.lab / "logs" / f"{name}.log").write_text(proc.stdout + proc.stderr)
        self.runs.append({"step": name, "exitCode": proc.returncode, "seconds": seconds})
        if proc.returncode != 0:
            raise LabError(f"{name} failed (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-1500:]}")
        return seconds


def base_images(env: Env) -> str:
    """The lab's base: busybox of each arch, as one image index in the lab registry."""
    tag = f"{env.registry}/lab/base"
    e = env.containers("base")
    for a in ("amd64", "arm64"):
        (deb,) = DEBS.glob(f"busybox-static_*_{a}.deb")
        tree = env.lab / "bases" / a
        tree.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree / "deb")], check=True)
        (tree / "rootfs" / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / "deb" / "bin" / "busybox", tree / "rootfs" / "bin" / "busybox")
        for applet in APPLETS:
            (tree / "rootfs" / "bin" / applet).symlink_to("busybox")
        (tree / "rootfs" / "tmp").mkdir()
        ctr = subprocess.run(
            ["buildah", "from", "--arch", a, "--os", "linux", "scratch"],
            env=e,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        env.run(f"base-{a}-copy", ["buildah", "copy", ctr, str(tree / "rootfs"), "/"], e)
        env.run(f"base-{a}-config", ["buildah", "config", "--arch", a, "--os", "linux", ctr], e)
        env.run(f"base-{a}-commit", ["buildah", "commit", ctr, f"{tag}:{a}"], e)
        env.run(f"base-{a}-push", ["buildah", "push", f"{tag}:{a}"], e)
    env.run("base-index", ["buildah", "manifest", "create", "lab-base"], e)
    for a in ("amd64", "arm64"):
        env.run(f"base-index-{a}", ["buildah", "manifest", "add", "lab-base", f"docker://{tag}:{a}"], e)
    env.run("base-index-push", ["buildah", "manifest", "push", "--all", "lab-base", f"docker://{tag}:latest"], e)
    return f"{tag}:latest"


def sample_project(lab: Path, base: str) -> str:
    repo = lab / "project"
    repo.mkdir()
    (repo / "Containerfile").write_text(CONTAINERFILE.format(base=base))
    git = ["git", "-C", str(repo), "-c", "user.name=lab", "-c", "user.email=lab@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "Containerfile"], ["commit", "-q", "-m", "sample"]):
        subprocess.run([*git, *args], check=True)
    return f"file://{repo}"


# --- running the Pipeline -------------------------------------------------------------------


def run_task(
    env: Env,
    ptask: Mapping[str, Any],
    task: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    shared: Mapping[str, Path],
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
    for step in task["steps"]:
        name = f"{ptask['name']}-{step['name']}"
        script = env.lab / "steps" / f"{name}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(substitute(step["script"], params, workspaces))
        script.chmod(0o755)
        args = expand_args(step.get("args") or [], params, workspaces)
        cwd = Path(substitute(step["workingDir"], params, workspaces)) if "workingDir" in step else None
        extra = {e["name"]: substitute(e["value"], params, workspaces) for e in step.get("env") or []}
        seconds += env.run(name, [str(script), *args], env.containers(ptask["name"], extra), cwd)
    return seconds


def run_pipeline(
    env: Env,
    objects: Mapping[str, Mapping[str, Any]],
    pipeline: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    log: list[str],
) -> dict[str, float]:
    shared = {
        w["name"]: env.lab / "workspaces" / w["name"] for w in pipeline.get("workspaces") or [] if not w.get("optional")
    }
    for path in shared.values():
        path.mkdir(parents=True)
    timings: dict[str, float] = {}
    for level in dag(pipeline):
        log.append("run: " + ", ".join(t["name"] for t in level) + (" (at once)" if len(level) > 1 else ""))
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(level)) as pool:
            futures = {
                t["name"]: pool.submit(run_task, env, t, objects[t["taskRef"]["name"]], pipeline_params, shared)
                for t in level
            }
            for name, future in futures.items():
                timings[name] = future.result()
    return timings


# --- verification ------------------------------------------------------------------------------


def _layer_files(layout: Path, manifest_digest: str) -> dict[str, bytes]:
    """Every regular file of an image in an OCI layout (later layers win), with its first bytes."""
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / manifest_digest.split(":", 1)[1]).read_text())
    files: dict[str, bytes] = {}
    for layer in manifest["layers"]:
        with tarfile.open(blobs / layer["digest"].split(":", 1)[1], "r:*") as tar:
            for member in tar.getmembers():
                if member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        files[member.name.lstrip("./")] = handle.read(64)
    return files


def verify(env: Env, image: str) -> dict[str, Any]:
    e = env.containers("verify")
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", f"docker://{image}"], env=e, capture_output=True, text=True, check=True
    ).stdout
    index = json.loads(raw)
    platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index.get("manifests", []))
    checks: dict[str, Any] = {"index": index, "platforms": platforms, "images": {}}
    if platforms != ["linux/amd64", "linux/arm64"]:
        raise LabError(f"{image} is not an index of exactly linux/amd64 and linux/arm64: {platforms}")
    for m in index["manifests"]:
        a = m["platform"]["architecture"]
        layout = env.lab / "verify" / a
        layout.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["skopeo", "copy", "--quiet", f"docker://{image.rsplit(':', 1)[0]}@{m['digest']}", f"oci:{layout}:img"],
            env=e,
            check=True,
        )
        files = _layer_files(layout, json.loads((layout / "index.json").read_text())["manifests"][0]["digest"])
        recorded = files.get("arch", b"").decode().strip()
        elf = files.get("bin/busybox", b"")
        machine = ELF_MACHINE.get(int.from_bytes(elf[18:20], "little")) if elf[:4] == b"\x7fELF" else None
        checks["images"][a] = {"unameAtBuild": recorded, "busyboxElf": machine}
        if recorded != UNAME[a] or machine != a:
            raise LabError(f"the {a} image records uname -m {recorded!r} and holds a {machine} busybox")
    return checks


# --- the command -------------------------------------------------------------------------------


def lab_run(stack: str, out: Path, say: Any) -> dict[str, Any]:
    missing = missing_tools()
    if missing:
        raise LabError(f"missing: {', '.join(missing)}; run `make buildlab-deps` (Debian, as root)", exit_code=2)
    planned = plan.make(stack, policies=False)
    objects = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]
        for r in planned.recording.resources
        if r.type == "kubernetes:tekton.dev/v1:Task"
    }
    (pipeline,) = [
        r.plain_inputs["spec"] for r in planned.recording.resources if r.type == "kubernetes:tekton.dev/v1:Pipeline"
    ]
    tasks = [t["name"] for t in pipeline["tasks"]]
    log = [
        f"plan: {stack}: Pipeline tasks {tasks}, Tasks {sorted(objects)}",
        "steps run on this machine's buildah and git, not in the step images",
    ]
    foreign = FOREIGN
    summary: dict[str, Any] = {"stack": stack, "machine": " ".join(platform.uname()), "host": HOST_ARCH}
    summary["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="multiarch-buildlab-") as tmp:
        lab = Path(tmp)
        with qemu_registered(foreign, log), registry(lab, log) as reg:
            env = Env(lab, reg)
            base = base_images(env)
            url = sample_project(lab, base)
            image = f"{reg}/lab/sample:latest"
            params = {
                "git-url": url,
                "git-revision": "main",
                "image": image,
                "context-dir": ".",
                "containerfile-path": "Containerfile",
            }
            timings = run_pipeline(env, objects, pipeline, params, log)
            summary["checks"] = verify(env, image)
            summary["steps"] = env.runs
        native, emulated = timings[f"build-{HOST_ARCH}"], timings[f"build-{foreign}"]
        summary["timings"] = {
            "native": {HOST_ARCH: native},
            "emulated": {foreign: emulated},
            "ratio": round(emulated / native, 1),
        }
        summary["log"] = log
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for line in log:
        say(line)
    checks = summary["checks"]
    images = "; ".join(
        f"{a} records uname -m {c['unameAtBuild']} and holds {c['busyboxElf']} ELF" for a, c in checks["images"].items()
    )
    say(f"verified: {image.split('/', 1)[1]} is an index of {', '.join(checks['platforms'])}; {images}")
    ratio = summary["timings"]["ratio"]
    say(
        f"build {HOST_ARCH} (native) {native:.1f} s, {foreign} (emulated) {emulated:.1f} s: emulated is {ratio}x slower"
    )
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.buildlab", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", nargs="?", default="dev")
    parser.add_argument("--out", type=Path, default=stackfile.ROOT / "build" / "buildlab")
    args = parser.parse_args(argv)
    try:
        lab_run(args.stack, args.out, print)
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
