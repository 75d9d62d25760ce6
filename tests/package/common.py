"""What the package tests share: the examples, the consumer's own resources, the `dev` stack they equal."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from tools import mockengine, stackfile

EXAMPLES = stackfile.ROOT / "examples"
PYTHON_EXAMPLE = EXAMPLES / "python" / "__main__.py"
YAML_EXAMPLE = EXAMPLES / "yaml" / "Pulumi.yaml"
TS_EXAMPLE = EXAMPLES / "typescript" / "index.ts"
TOKEN_KEY = "multiarch:gitlabRunnerToken"
# What the examples declare of their own, beside the component (and what the stack file cannot).
OWN = {("pulumi:providers:kubernetes", "build-cluster"), ("kubernetes:core/v1:Namespace", "team-apps")}


def token_config() -> tuple[dict[str, Any], list[str]]:
    """The examples' only configuration: dev's runner token, as the stack file's offline stand-in."""
    dev = stackfile.load("dev")
    return {TOKEN_KEY: dev.config[TOKEN_KEY]}, [TOKEN_KEY]


def dev_snapshot() -> dict[str, Any]:
    """What the `dev` stack file declares, as JSON (the examples are dev's args)."""
    dev = stackfile.load("dev")
    return mockengine.snapshot(mockengine.run_main(dev.config, stack=dev.name, secret_keys=dev.secret_keys))


def split_own(resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the component's resources, the consumer's own)."""
    own = {u: r for u, r in resources.items() if (r["type"], r["name"]) in OWN}
    return {u: r for u, r in resources.items() if u not in own}, own


def yaml_properties() -> dict[str, Any]:
    """The YAML example's BuildPlatform properties, as a YAML program passes them to the provider."""
    doc = yaml.safe_load(YAML_EXAMPLE.read_text())
    return copy.deepcopy(doc["resources"]["platform"]["properties"])
