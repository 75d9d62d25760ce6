"""What every part of the build lab shares: this machine's arch and the one it builds under qemu,
what a build step's image sets, the sample the builds build, and `LabError`.
"""

from __future__ import annotations

import platform

from components import arch

STEP_IMAGE_ENV = {"BUILDAH_ISOLATION": "chroot"}  # what quay.io/buildah/stable sets for its steps
UNAME = {a: facts.openshift for a, facts in arch.ARCH_FACTS.items()}  # x86_64, aarch64
HOST_ARCH = {u: a for a, u in UNAME.items()}.get(platform.machine(), platform.machine())
FOREIGN = "amd64" if HOST_ARCH == "arm64" else "arm64"  # the arch this machine builds under qemu

# The sample: an expensive layer, then the source file a change touches. The layer is CPU work, the
# same on every arch and timed (`time`: native against emulated), then a fixed wait standing in for
# what makes real layers expensive (downloads, compiles) at no CPU cost to this 2-core machine. 8 s:
# a warm build still makes its registry round trips (the cache lookups and pushes of each step, the
# OCI label steps included), which a loaded machine stretches; a real expensive layer is minutes.
WAIT_SECONDS = 8
CONTAINERFILE = f"""\
FROM {{base}}
RUN time sh -c 'seq 1 3000000 | gzip -9 | wc -c > /work.size' && uname -m > /arch && sleep {WAIT_SECONDS}
COPY app.txt /app.txt
"""


class LabError(Exception):
    """The lab cannot go on; `exit_code` 2 when something is missing from the machine."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
