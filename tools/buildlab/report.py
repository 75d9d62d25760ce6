"""The lab's timings, read from what its builds and jobs print, and what the lab proved, in a few
lines, from its summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tools.buildlab.lab import FOREIGN, HOST_ARCH, WAIT_SECONDS

CPU_TIME = re.compile(r"^real\s+(\d+)m\s*([0-9.]+)s$")


def cpu_seconds(lines: Sequence[str]) -> float | None:
    """The timed CPU work of the expensive layer, from a build's output (busybox `time`)."""
    for line in lines:
        m = CPU_TIME.match(line.strip())
        if m:
            return int(m[1]) * 60 + float(m[2])
    return None


def job_seconds(job: str, output: str) -> float | None:
    """The job's own duration, as gitlab-ci-local reports it (`<job> finished in 8.2 s`: its own
    start-up not included)."""
    found = re.findall(rf"^{re.escape(job)} finished in ([0-9.]+) (ms|s|min)$", output, re.MULTILINE)
    if not found:
        return None
    value, unit = found[-1]
    return float(value) / 1000 if unit == "ms" else float(value) * (60 if unit == "min" else 1)


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
            f"{emulated:.1f} s: emulated is {emulated / native:.1f}x slower (then an {WAIT_SECONDS} s wait on both)"
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
