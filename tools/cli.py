"""What the command-line tools share."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run(main: Callable[[], int]) -> None:
    """Exit with `main()`'s status; a reader that leaves early (`| head`) is not an error."""
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
