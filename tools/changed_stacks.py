"""Which stacks a change touches: `python -m tools.changed_stacks BASE_SHA` prints their names.

A change to a stack file plans that stack; a change to the program (components, __main__.py,
Pulumi.yaml, requirements, policy) plans every stack; docs and tests alone plan none.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ("components/", "policy/", "__main__.py", "Pulumi.yaml", "requirements.txt", "tools/")


def all_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (root / "stacks").glob("Pulumi.*.yaml"))


def stacks_for(changed: Iterable[str], known: Sequence[str]) -> list[str]:
    out: set[str] = set()
    for path in changed:
        if path.startswith(PROGRAM):
            return list(known)
        if path.startswith("stacks/Pulumi.") and path.endswith(".yaml"):
            name = path.removeprefix("stacks/Pulumi.").removesuffix(".yaml")
            if name in known:
                out.add(name)
    return sorted(out)


def changed_paths(base: str, root: Path | None = None) -> list[str]:
    """The files that differ between `base` and the working tree (in CI, the commit under test).

    A shallow clone may not hold `base` (a CI job without `GIT_DEPTH: 0`): it is fetched from
    `origin` once, and only then is its absence an error."""
    where = root or ROOT

    def diff() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "diff", "--name-only", base], cwd=where, capture_output=True, text=True, check=False
        )

    proc = diff()
    if proc.returncode != 0:
        fetched = subprocess.run(
            ["git", "fetch", "--quiet", "--no-tags", "origin", base],
            cwd=where,
            capture_output=True,
            text=True,
            check=False,
        )
        if fetched.returncode == 0:
            proc = diff()
    if proc.returncode != 0:
        raise SystemExit(
            f"error: git diff {base}: {proc.stderr.strip()} (not in this clone, and not fetched from origin: "
            "a CI job that diffs needs GIT_DEPTH: 0)"
        )
    return proc.stdout.split()


def snapshot(dest: Path, root: Path = ROOT) -> Path:
    """This checkout's files (tracked and new, not ignored) as a fresh git repository at `dest`, with
    one commit: where a review can be tried on a change without touching the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = root / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(source.read_bytes())
    git = ["git", "-c", "user.name=multiarch", "-c", "user.email=multiarch@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], cwd=dest, capture_output=True, check=True)
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print("\n".join(stacks_for(changed_paths(args[0] if args else "HEAD~1"), all_stacks())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
