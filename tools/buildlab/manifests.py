"""The checks of a pushed tag, pure: an image index of exactly linux/amd64 and linux/arm64, and
each platform's image of its own arch (the `uname -m` its build recorded, its busybox's ELF
machine). `registry.verify` reads them from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import arch
from tools.buildlab.lab import UNAME, LabError

ELF_MACHINE = {62: "amd64", 183: "arm64"}  # ELF e_machine: EM_X86_64, EM_AARCH64
PLATFORMS = ["linux/amd64", "linux/arm64"]


def reference(image: str) -> tuple[str, str]:
    """An image's repository and tag in its registry (`host:port/repository:tag`)."""
    repository, _, tag = image.split("/", 1)[1].rpartition(":")
    return repository, tag


def check_index(image: str, index: Mapping[str, Any]) -> dict[str, Any]:
    """The checks of a pushed index, its images' still empty (`check_image` fills them); LabError
    unless it is an index of exactly linux/amd64 and linux/arm64."""
    platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index.get("manifests", []))
    if platforms != PLATFORMS:
        raise LabError(f"{image} is not an index of exactly linux/amd64 and linux/arm64: {platforms}")
    return {"image": image, "index": index, "platforms": platforms, "images": {}}


def check_image(a: arch.Arch, files: Mapping[str, bytes]) -> dict[str, Any]:
    """What the `a` image's files say of its arch (`Registry.files`: each file's first bytes);
    LabError unless both say `a`."""
    recorded = files.get("arch", b"").decode().strip()
    elf = files.get("bin/busybox", b"")
    machine = ELF_MACHINE.get(int.from_bytes(elf[18:20], "little")) if elf[:4] == b"\x7fELF" else None
    if recorded != UNAME[a] or machine != a:
        raise LabError(f"the {a} image records uname -m {recorded!r} and holds a {machine} busybox")
    return {"unameAtBuild": recorded, "busyboxElf": machine}
