"""The wheel and a fresh venv with it installed, and the repository as the Pulumi CLI installs it
as a plugin, with the plugin directory's own virtualenv: built once per worker (the package tests
share a worker: `xdist_group("package")`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

import components
from tools import stackfile

ROOT = stackfile.ROOT


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q",
         "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (built,) = dist.glob("*.whl")
    return built


def _venv_on_these_deps(home: Path) -> Path:
    """A venv without pip at `home` whose dependencies are this venv's (a .pth): its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = home / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed by pip (its dependencies: this venv's, through a .pth)."""
    home = tmp_path_factory.mktemp("venv")
    python = _venv_on_these_deps(home)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
         "--find-links", str(wheel.parent), f"pulumi-multiarch=={components.__version__}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return home


def _repository_files() -> list[str]:
    """What a clone of this revision holds, with this working tree's changes: the files git tracks,
    and the new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [f for f in listed.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as `pulumi package add <repo>.git/provider@v...` installs it: the whole
    repository (pulumi/pulumi#18322), its plugin directory `provider/`."""
    root = tmp_path_factory.mktemp("plugins") / "gitlab.com_your-group_multiarch.git"
    for name in _repository_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return root


@pytest.fixture(scope="session")
def plugin(checkout: Path) -> Path:
    """The plugin directory with the virtualenv its runtime options name, made as the CLI makes it
    (sdk/python/toolchain/pip.go, InstallDependencies: `python -m venv`, then `pip install -r
    requirements.txt` in the plugin directory), offline: its dependencies are this venv's (a .pth)."""
    directory = checkout / "provider"
    options = yaml.safe_load((directory / "PulumiPlugin.yaml").read_text())["runtime"]["options"]
    home = directory / options["virtualenv"]
    python = _venv_on_these_deps(home)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-build-isolation",
         "-r", "requirements.txt"],
        cwd=directory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return directory
