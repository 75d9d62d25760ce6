"""policy/sharing.py changes how fast the pack answers, never what it answers.

The pack's servicer is driven in process with the requests the plan sends (tools.policyrun), on
stacks with violations of resource and stack policies, first as the SDK has it, then with the
properties shared within each request: the same diagnostics, in the same order.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from policy import sharing
from policy.policies import ALL
from tools import mockengine, policyrun, stackfile


class _Context:
    def set_code(self, *_: Any) -> None: ...

    def set_details(self, *_: Any) -> None: ...


def _analyze(rec: mockengine.Recording) -> list[list[tuple[str, str, str]]]:
    servicer: Any = sdk._PolicyAnalyzerServicer(
        "multiarch-policies", "0.0.1", ALL, EnforcementLevel.ADVISORY, None, None, None, None, None, None, None
    )
    each, stack = policyrun._requests(rec.resources)
    answers = [servicer.Analyze(request, _Context()) for _, request in each]
    answers.append(servicer.AnalyzeStack(stack, _Context()))
    return [[(d.policyName, d.urn, d.message) for d in a.diagnostics] for a in answers]


def _violating(name: str, edit: Any) -> mockengine.Recording:
    sf = stackfile.load(name)
    config = copy.deepcopy(sf.config)
    edit(config)
    return mockengine.run_main(config, stack=sf.name, secret_keys=sf.secret_keys)


def _runner_wide_open(config: dict[str, Any]) -> None:
    config["multiarch:gitlabRunner"]["privileged"] = True
    config["multiarch:gitlabRunner"]["nodeSelectorOverwriteAllowed"] = ".*"


def _one_spot_type(config: dict[str, Any]) -> None:
    for pool in config["multiarch:nodePools"]:
        pool.pop("instanceFamilies", None)
        pool["capacityTypes"] = ["SPOT"]


@pytest.mark.parametrize(("stack", "edit"), [("dev", _runner_wide_open), ("karpenter-dev", _one_spot_type)])
def test_sharing_the_conversions_changes_no_verdict(stack: str, edit: Any) -> None:
    rec = _violating(stack, edit)
    plain = _analyze(rec)
    restore = sharing.install()
    assert restore is not None, "pulumi_policy no longer has what policy/sharing.py relies on"
    try:
        shared = _analyze(rec)
        again = _analyze(rec)  # a second request starts from an empty memo
    finally:
        restore()
    assert shared == plain == again
    found = {policy for answer in plain for policy, _, _ in answer}
    assert len(found) >= 1 and sum(map(len, plain)) >= 2, found
    assert _analyze(rec) == plain  # restored


def test_the_pack_installs_it() -> None:
    text = (stackfile.ROOT / "policy" / "__main__.py").read_text()
    assert "sharing.install()" in text
