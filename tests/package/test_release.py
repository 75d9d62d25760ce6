"""`make release`: the wheel and the sdist, built offline and checked as the package index checks
them (twine check --strict), in CI (.ci/run). Publishing stays a manual step."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

import components
from tools import stackfile

pytestmark = pytest.mark.xdist_group("package")

ROOT = stackfile.ROOT


def test_make_release_builds_both_distributions_and_checks_them(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # -o: the venv is what it is (the suite runs in it): the release must not reinstall anything.
    proc = subprocess.run(
        ["make", "-s", "-o", "venv/.dev", "-o", "venv/.runtime", "release", f"DIST={dist}"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = components.__version__
    wheel, sdist = f"pulumi_multiarch-{version}-py3-none-any.whl", f"pulumi_multiarch-{version}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == [wheel, sdist]
    # twine check --strict: its exit status, and one PASSED per distribution (no warnings)
    assert proc.stdout.count("PASSED") == 2 and "WARNING" not in proc.stdout, proc.stdout
    with tarfile.open(dist / sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    # What builds the wheel again, nothing of the repository's own stacks, tools or plugin directory.
    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "components/__init__.py", "PKG-INFO"} <= names
    assert not {n for n in names if n.split("/")[0] in ("stacks", "tools", "tests", "provider", "policy")}


def test_ci_runs_the_release_after_the_tests() -> None:
    steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert steps.index("make release") > steps.index("make test")
