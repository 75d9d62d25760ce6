"""The stack: composes the platform's components from validated settings.

`build(settings)` creates the explicit cloud and Kubernetes providers, the cluster, the node
pools and the in-cluster capabilities, and returns what `__main__` exports. Only the chosen
platform's cloud SDK is imported.

`common.py` holds what every platform hands to the in-cluster layer (and the layer itself);
`eks.py`, `gke.py`, `openshift.py` compose each platform.
"""

from .common import (
    Platform,
    Scope,
    common_tags,
)
from .compose import (
    build,
)

__all__ = [
    "Platform",
    "Scope",
    "build",
    "common_tags",
]
