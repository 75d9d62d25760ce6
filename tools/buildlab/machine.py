"""This machine set up as the lab: the tools it needs, qemu registered as the binfmt DaemonSet
registers it (and its readiness check), the lab's ephemeral nodes (`Env`: storage, credentials and
userland of their own), the base images, and the sample project.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from components import binfmt
from tools import gitlabci, stackfile
from tools.buildlab.lab import CONTAINERFILE, FOREIGN, HOST_ARCH, STEP_IMAGE_ENV, LabError
from tools.buildlab.registry import Registry, certificate

TOOLS = {
    "buildah": "buildah",
    "docker-registry": "docker-registry",
    "git": "git",
    "openssl": "openssl",
    "rsync": "rsync",
}
DEBS = stackfile.ROOT / "build" / "buildlab" / "debs"  # busybox-static per arch (make buildlab-deps)
BINFMT = Path(binfmt.HOST_BINFMT)
# What a base image and a node's userland hold: busybox and these applets.
APPLETS = (
    "sh", "uname", "gzip", "head", "seq", "ls", "cat", "echo", "mkdir", "rm", "wc", "dd", "sha256sum", "true",
    "tr", "sed", "grep", "basename", "touch", "printf", "tail", "env", "sleep", "time", "mktemp", "tee",
)  # fmt: skip


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


@dataclass
class Env:
    """The lab's nodes: where a step's tools find their storage, credentials and userland."""

    lab: Path
    registry: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    _count: int = 0

    def node(
        self, node_arch: str, name: str, extra: Mapping[str, str] | None = None, persist: bool = False
    ) -> dict[str, str]:
        """The environment of a step or job on a fresh node of `node_arch`: storage of its own (nodes
        are ephemeral), and on the foreign arch that arch's userland first on PATH. `persist`: the
        node named `name` again, its storage as the last job left it (a runner's persistent volume)."""
        self._count += 1
        home = self.lab / "nodes" / (f"persistent-{name}" if persist else f"{self._count:03d}-{name}")
        (home / "home").mkdir(parents=True, exist_ok=True)
        storage = home / "storage.conf"
        storage.write_text(
            tomli_w.dumps(
                {"storage": {"driver": "vfs", "graphroot": str(home / "storage"), "runroot": str(home / "run")}}
            )
        )
        if not (home / "auth.json").exists():
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

    def client(self, address: str | None = None, login: tuple[str, str] | None = None) -> Registry:
        """The lab registry's client (or another lab registry's, with its login)."""
        address = address or self.registry
        return Registry(address, certificate(self.lab, address), login)

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


def git(repo: Path, *args: str) -> str:
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
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sample")
    return repo
