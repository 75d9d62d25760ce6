"""Results cached by content under build/cache: JSON files named by a digest of everything the
result depends on, so a changed input is a new name, never a stale hit. Best effort and atomic:
a read-only checkout just recomputes, and parallel test workers may write one file at once."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent.parent / "build" / "cache"


def read(name: str) -> Any | None:
    """The cached value of `name` (a file name under build/cache), or None."""
    try:
        return json.loads((CACHE / name).read_text())
    except (OSError, ValueError):
        return None


def write(name: str, value: Any) -> None:
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=CACHE, delete=False, suffix=".tmp") as tmp:
            json.dump(value, tmp)
        os.replace(tmp.name, CACHE / name)
    except OSError:
        pass
