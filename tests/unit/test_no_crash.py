"""No mistake in a stack file ends in a traceback: every leaf of every committed stack, replaced by
a value of the wrong kind, is either accepted or refused with the settings' lines (ConfigError),
and the program under the mock engine then plans it or refuses it the same way (exit 0 or 2)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from components import settings
from tests.program.test_config_corpus import _variant
from tools import plan, stackfile

STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in stackfile.STACKS.glob("Pulumi.*.yaml"))
WRONG: tuple[Any, ...] = ("x", 7, -1, 1.5, True, None, [], {}, "0s", "", "a" * 300)


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list) and node:
        for i, value in enumerate(node):
            yield from leaves(value, (*path, i))
    else:
        yield path


def replaced(config: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(config)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_every_leaf_of_the_wrong_kind_is_accepted_or_refused_with_lines(stack: str) -> None:
    base = stackfile.load(stack)
    tried = 0
    every_key = [(key,) for key in base.config]  # the provider keys and secrets as well, whole
    for path in [*leaves({k: v for k, v in base.config.items() if k.startswith("multiarch:")}), *every_key]:
        for value in WRONG:
            config = replaced(base.config, path, value)
            try:
                settings.from_config(config, stack=stack, secret_keys=base.secret_keys)
            except settings.ConfigError as exc:
                assert exc.errors and all(isinstance(e, str) and e for e in exc.errors), (path, value)
            tried += 1
    assert tried > 100


# The program itself on a sample of what the settings accept: mistakes that only the program's own
# models (placement, cost, the components) meet.
PROGRAM: list[tuple[str, dict[str, Any]]] = [
    ("gke-dev", {"multiarch:autoscaling.systemPool.instanceType": "e2-standard-99",
                 "multiarch:autoscaling.systemPool.unlistedInstanceType": True}),
    ("karpenter-dev", {"multiarch:platform": "EKS"}),
    ("karpenter-dev", {"multiarch:nodePools[1].instanceType": "m9g.2xlarge",
                       "multiarch:nodePools[1].unlistedInstanceType": True}),
    ("dev", {"multiarch:nodePools[0].instanceType": "m9x.2xlarge", "multiarch:nodePools[0].unlistedInstanceType": True}),
    ("openshift-dev", {"multiarch:nodePools[0].instanceType": "m9x.2xlarge",
                       "multiarch:nodePools[0].unlistedInstanceType": True}),
    ("gke-computeclass-dev", {"multiarch:nodePools[0].instanceFamilies": ["zz9"]}),
    ("dev", {"aws:region": "me-west-1"}),
]  # fmt: skip


@pytest.mark.parametrize(("stack", "edits"), PROGRAM, ids=[str(i) for i in range(len(PROGRAM))])
def test_the_program_plans_or_refuses_with_exit_2(stack: str, edits: dict[str, Any]) -> None:
    try:
        plan.make(_variant(stack, edits), policies=False)
    except plan.PlanError as exc:
        assert exc.exit_code == plan.EXIT_CONFIG, exc.lines
        assert exc.lines[0] == f"Pulumi.{stack}.yaml: invalid stack configuration" and len(exc.lines) >= 2
