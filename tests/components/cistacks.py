"""Each stack's CI/CD component, as its plan generates it (shared by the component's tests)."""

from __future__ import annotations

import functools
from typing import Any

from tools import plan, stackfile


@functools.cache
def stack_component(stack: str) -> tuple[str, Any]:
    """The stack's component (a runner added where the stack file has none, as a team would)."""
    loaded = stackfile.load(stack)
    config = dict(loaded.config)
    config.setdefault("multiarch:gitlabRunner", {"enabled": True, "tags": ["multi-arch"]})
    config.setdefault("multiarch:gitlabRunnerToken", "glrt-offline-plan-placeholder-0000")
    secret = [*loaded.secret_keys, "multiarch:gitlabRunnerToken"]
    planned = plan.make(stackfile.StackFile(loaded.name, loaded.path, config, secret), policies=False)
    return planned.recording.outputs["gitlabCiTemplate"], planned.settings
