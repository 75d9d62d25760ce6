"""multiarch: Kubernetes build capacity for multi-architecture container images, as one Pulumi component.

    from . import BuildPlatform, BuildPlatformArgs

`BuildPlatform` takes what a stack file configures, as typed args (`BuildPlatformArgs`), and
declares the cluster's x86 and arm64 build pools, shared RWX storage, the pipeline engine, the
GitLab runner and qemu binfmt under itself. The same component is served to other Pulumi languages
by the component provider (`provider/`, `pulumi package add <repo>/provider@v<version>`).
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"

__all__ = [
    "Arch",
    "BuildPlatform",
    "BuildPlatformArgs",
    "CapacityType",
    "Engine",
    "Platform",
    "TaintEffect",
    "__version__",
]

if TYPE_CHECKING:
    from .platform import (
        Arch,
        BuildPlatform,
        BuildPlatformArgs,
        CapacityType,
        Engine,
        Platform,
        TaintEffect,
    )


def __getattr__(name: str) -> Any:
    # The component on first use: the submodules (settings, the catalog) load without the Pulumi SDK.
    if name in __all__:
        from . import platform

        return getattr(platform, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
