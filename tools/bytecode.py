"""Byte-compile the modules the offline plan imports: the last step of `make venv`.

    python -m tools.bytecode

`make venv` installs with `pip install --no-compile` and byte-compiles the installed packages
except the two provider SDKs (`pulumi_aws`, `pulumi_gcp`): together 250 MB of generated source
in thousands of modules, of which a plan imports a few dozen. Compiling all of them was half of
the first setup. This compiles exactly those a few dozen: it runs every committed stack's
program under the mock engine (no policy pack, nothing written), then writes the bytecode of
every module then loaded from the virtualenv that has none yet. Python would write it on first
import anyway, unless PYTHONDONTWRITEBYTECODE is set (as on some CI images): then it matters.
"""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from pathlib import Path

from tools import changed_stacks, plan


def compile_loaded(prefix: Path) -> int:
    """Write the bytecode of every loaded module under `prefix` that has none (or a stale one); how many."""
    written = 0
    for module in list(sys.modules.values()):
        source = getattr(module, "__file__", None)
        if not source or not source.endswith(".py") or not Path(source).is_relative_to(prefix):
            continue
        cached = importlib.util.cache_from_source(source)
        if not Path(cached).exists() or Path(cached).stat().st_mtime < Path(source).stat().st_mtime:
            py_compile.compile(source, cfile=cached, doraise=True)
            written += 1
    return written


def main() -> int:
    for stack in changed_stacks.all_stacks():
        try:
            plan.make(stack, policies=False)
        except plan.PlanError as exc:  # a broken stack is the plan's to report, not the install's
            print(f"tools.bytecode: {stack}: " + " ".join(exc.lines), file=sys.stderr)
    written = compile_loaded(Path(sys.prefix).resolve())
    written += compile_loaded(changed_stacks.ROOT)  # the program, the tools and the pack: edited, recompiled
    print(f"byte-compiled {written} modules the plan imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
