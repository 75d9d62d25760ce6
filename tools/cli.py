"""What the command-line tools share."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Callable


def run(main: Callable[[], int]) -> None:
    """Exit with `main()`'s status; a reader that leaves early (`| head`) is not an error.

    The exit skips the interpreter's teardown: freeing the thousands of provider SDK modules a plan
    imports took 0.4 s of every command (measured: bench.plan). What the teardown must still do is
    done first: the atexit handlers (the policy pack's process is stopped by its PID), and the
    standard streams are flushed. The cyclic garbage collector is off for the command: a short-lived
    process whose collections, over the SDKs' large heap, cost 0.1 s a plan (+1 MiB peak, measured)."""
    gc.disable()
    engine = sys.modules.get("tools.mockengine")
    if engine is not None:
        # Its full collection after each program run only spares the interpreter's teardown the
        # event loops the mock monitor leaves; there is no teardown here.
        engine.COLLECT_AFTER_RUN = False  # type: ignore[attr-defined]
    try:
        code = main()
    except BrokenPipeError:
        sys.stderr.close()
        code = 0
    exit_now(code)


def exit_now(code: int) -> None:
    atexit._run_exitfuncs()  # the handlers the interpreter would run, in its order
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a closed pipe, or a stream closed above
            stream.flush()
    os._exit(code)
