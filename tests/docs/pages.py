"""The documentation as the tests read it: the README and every page of docs/, their fenced blocks,
and the command excerpts among them (a block whose first line is `$ ./venv/bin/python -m ...`)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

PROMPT = "$ ./venv/bin/python -m "
ELLIPSIS = "…"  # a line of an excerpt that stands for lines left out


def paths() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def text(page: str) -> str:
    """A page by its path from the repository's root (`README.md`, `docs/review.md`)."""
    return (ROOT / page).read_text()


@dataclass(frozen=True)
class Block:
    page: str  # path from the root
    line: int  # of the opening fence, 1-based
    info: str  # the fence's info string (`yaml`, `sh`, ...)
    body: str  # dedented

    @property
    def command(self) -> str | None:
        """The tool command an excerpt shows (`tools.diff dev dev-next.yaml`), or None."""
        first = self.body.split("\n", 1)[0]
        return first.removeprefix(PROMPT) if first.startswith(PROMPT) else None

    @property
    def shown(self) -> list[str]:
        """The excerpt's output lines, as shown (without the command)."""
        return self.body.split("\n")[1:-1] if self.body.endswith("\n") else self.body.split("\n")[1:]

    @property
    def complete(self) -> bool:
        """An excerpt without `…` shows the whole output."""
        return not any(line.strip() == ELLIPSIS for line in self.shown)


FENCE = re.compile(r"^([ \t]*)(```+)(.*)$")


def blocks() -> list[Block]:
    out = []
    for path in paths():
        lines = path.read_text().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if m is None:
                i += 1
                continue
            indent, fence, info = m.groups()
            j = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == fence)
            body = textwrap.dedent("\n".join(line.removeprefix(indent) for line in lines[i + 1 : j]) + "\n")
            out.append(Block(str(path.relative_to(ROOT)), i + 1, info.strip(), body))
            i = j + 1
    return out


def excerpts() -> list[Block]:
    return [b for b in blocks() if b.command is not None]
