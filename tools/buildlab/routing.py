"""How the GitLab runner routes a job to a node, pure: its `[runners.kubernetes]` config read from
the chart's values, and the node arch a job lands on, as the Kubernetes executor decides.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

from components import arch
from tools.buildlab.lab import HOST_ARCH


def runner_config(helm_values: Mapping[str, Any]) -> dict[str, Any]:
    """The `[runners.kubernetes]` table of the runner's config.toml, from the chart's values."""
    config = tomllib.loads(str((helm_values.get("runners") or {}).get("config") or ""))
    (one,) = config["runners"]
    return dict(one.get("kubernetes") or {})


def job_node(variables: Mapping[str, str], kubernetes: Mapping[str, Any]) -> str:
    """The arch of the node a job lands on, as the Kubernetes executor decides: the job's
    `KUBERNETES_NODE_SELECTOR_*` where `node_selector_overwrite_allowed` accepts them (Go's
    regexp.MatchString: a match anywhere), else the runner's `node_selector`."""
    selector = dict(kubernetes.get("node_selector") or {})
    allowed = kubernetes.get("node_selector_overwrite_allowed")
    for key, value in variables.items():
        if key.startswith("KUBERNETES_NODE_SELECTOR_") and allowed and re.search(allowed, value):
            label, _, label_value = value.partition("=")
            selector[label] = label_value
    return str(selector.get(arch.ARCH_LABEL, HOST_ARCH))
