"""One conversion of a resource's properties per request, not one per policy.

The CrossGuard SDK (pulumi_policy 1.x) converts a resource's properties from protobuf, deserializes
them and wraps them in its unknown-checking proxy once for every policy it runs on the resource:
for each of the pack's resource policies in `Analyze`, and for every resource once per stack policy
in `AnalyzeStack`. On a 64-pool OpenShift stack that was 85% of the pack's time (measured:
bench.scaling). `install()` makes the three steps remember their result for the rest of the
request: the properties are the same object for every policy, as they are the same value. Memos
are per thread (the pack's gRPC server answers on four) and cleared when a request starts and
ends. If the SDK's module no longer has the names this relies on, nothing is changed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def _memo() -> dict[Any, Any]:
    memo: dict[Any, Any] | None = getattr(_local, "memo", None)
    if memo is None:
        memo = _local.memo = {}
    return memo


def _by_identity(kind: str, convert: Callable[..., Any]) -> Callable[..., Any]:
    """`convert(value, *args)`, remembered for this request by the value's identity (the memo holds
    the value, so its identity is not reused while remembered)."""

    @functools.wraps(convert)
    def remembered(value: Any, *args: Any) -> Any:
        memo = _memo()
        key = (kind, id(value), args)
        hit = memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        result = convert(value, *args)
        memo[key] = (value, result)
        return result

    return remembered


def _per_request(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, request: Any, context: Any) -> Any:
        _memo().clear()
        try:
            return method(self, request, context)
        finally:
            _memo().clear()

    return call


class _JsonFormat:
    """`google.protobuf.json_format` as pulumi_policy.policy uses it, MessageToDict remembered."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.MessageToDict = _by_identity("dict", real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install() -> Callable[[], None] | None:
    """Share the conversions within each request. Returns what undoes it; None (and nothing
    changed) if the SDK no longer has what this relies on."""
    try:
        from pulumi_policy import policy as sdk
    except ImportError:
        return None
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    names = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    if servicer is None or not all(hasattr(sdk, n) for n in names):
        return None
    saved = {n: getattr(sdk, n) for n in names}
    methods = {n: vars(servicer)[n] for n in ("Analyze", "AnalyzeStack", "Remediate") if n in vars(servicer)}
    setattr(sdk, "json_format", _JsonFormat(saved["json_format"]))  # noqa: B010 (names the SDK does not export)
    setattr(sdk, "deserialize_properties", _by_identity("deserialized", saved["deserialize_properties"]))  # noqa: B010
    setattr(sdk, "unknown_checking_proxy", _by_identity("proxy", saved["unknown_checking_proxy"]))  # noqa: B010
    for name, method in methods.items():
        setattr(servicer, name, _per_request(method))

    def restore() -> None:
        for name, value in saved.items():
            setattr(sdk, name, value)
        for name, method in methods.items():
            setattr(servicer, name, method)

    return restore
