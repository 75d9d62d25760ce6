"""Run the Pulumi program under the SDK's mock engine and record what it declares.

No CLI, no plugins, no credentials, no network: `pulumi.runtime.set_mocks` stands in for the
engine, `RecordingMonitor` records every `RegisterResource` request (type, name, parent,
provider, dependencies, options and inputs with secrets still marked), and `FakeCloud` answers
with plausible computed outputs (ARNs, endpoints, ids) and invokes (an adopted cluster's facts).
Used by `tools.plan` and the tests.
"""

from __future__ import annotations

import copy
import functools
import gc
import hashlib
import json
import os
import pickle
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as psettings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "multiarch"
SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
ACCOUNT_ID = "123456789012"
FAKE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"


class Secret:
    """A secret input value as the engine received it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret([secret])"


def _unwrap(value: Any) -> Any:
    """Deserialised RPC properties with secrets turned into `Secret` markers."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(_unwrap(value.get("value")))
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unwrap(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire carries every number as a double
    if isinstance(value, pulumi.StringAsset):
        return {"asset": "string", "text": value.text}  # what the file holds, e.g. a Helm values file
    if isinstance(value, pulumi.FileAsset):
        return {"asset": "file", "path": value.path}
    return value


def reveal(value: Any) -> Any:
    """The plain value (secrets opened): for tests that check what a secret holds."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def marked(value: Any) -> Any:
    """The value as JSON, each secret as {"secret": <its value>}: for comparing two runs, secrecy included."""
    if isinstance(value, Secret):
        return {"secret": marked(value.value)}
    if isinstance(value, Mapping):
        return {str(k): marked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [marked(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)


def snapshot(recording: Recording) -> dict[str, Any]:
    """Everything a run declared, as JSON (secrets marked): two runs that declare the same stack have
    equal snapshots, whichever process or path (stack file, package, provider) declared it."""

    def one(r: Registered) -> dict[str, Any]:
        return {
            "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent, "provider": r.provider,
            "dependencies": sorted(r.dependencies), "inputs": marked(r.inputs), "protect": r.protect,
            "retainOnDelete": r.retain_on_delete, "ignoreChanges": sorted(r.ignore_changes),
            "deleteBeforeReplace": r.delete_before_replace, "aliases": r.aliases,
            "additionalSecretOutputs": sorted(r.additional_secret_outputs), "outputs": marked(r.outputs),
        }  # fmt: skip

    return {"resources": {r.urn: one(r) for r in recording.resources}, "outputs": marked(recording.outputs)}


def redact(value: Any) -> Any:
    """The value with every secret shown as "[secret]" (for plan output and snapshots)."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class Registered:
    """One resource the program declared."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    aliases: list[str]
    additional_secret_outputs: list[str] = field(default_factory=list)
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)  # components: their registered outputs
    transforms: int = 0  # resource transforms attached (they run on the children the engine renders)
    # The aliases as the SDK sent them (URNs, or specs: name, type, parentUrn, noParent, stack,
    # project), for a model of the engine's URNs (tests/program/test_upgrade_aliases.py).
    alias_specs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plain_inputs(self) -> dict[str, Any]:
        return reveal(self.inputs)  # type: ignore[no-any-return]

    @property
    def counted(self) -> bool:
        return counted(self.type, self.custom)

    @property
    def is_kubernetes_object(self) -> bool:
        return (
            self.custom
            and self.type.startswith("kubernetes:")
            and not self.type.startswith("pulumi:providers:")
            and self.type != "kubernetes:helm.sh/v3:Release"
            and "apiVersion" in self.inputs
        )


# Components a provider renders itself (their contents are not in a plan): each counts as one resource.
OPAQUE_COMPONENTS = ("kubernetes:yaml/v2:", "kubernetes:helm.sh/v4:")


def counted(type_: str, custom: bool) -> bool:
    """One definition of "a resource" for the plan, the policy pack, the diff and its reports: what
    exists in the cloud or the cluster. The program's own components group resources and provider
    instances reach them: both are shown, neither is counted."""
    if type_.startswith("pulumi:providers:"):
        return False
    return custom or type_.startswith(OPAQUE_COMPONENTS)


@dataclass
class Recording:
    stack: str
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def by_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registered:
        found = [r for r in self.by_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Registered | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def children(self, urn: str) -> Iterator[Registered]:
        return (r for r in self.resources if r.parent == urn)

    def kubernetes_objects(self) -> list[Registered]:
        return [r for r in self.resources if r.is_kubernetes_object]


# Computed outputs a real provider would return, by type: enough for Outputs to resolve.
def _fake_outputs(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    region = "eu-west-3"
    arn = f"arn:aws:{typ.split(':')[1].split('/', maxsplit=1)[0]}:{region}:{ACCOUNT_ID}:{name}"
    out: dict[str, Any] = {"arn": arn} if typ.startswith("aws:") else {}
    if typ == "aws:iam/role:Role":
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{inputs.get('name', name)}"
        out.setdefault("name", inputs.get("name", name))
    elif typ == "aws:eks/cluster:Cluster":
        out.update(
            endpoint=f"https://{name.upper()}.gr7.{region}.eks.amazonaws.com",
            certificateAuthority={"data": FAKE_CA},
            identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/EXAMPLE"}]}],
            vpcConfig={
                **inputs.get("vpcConfig", {}),
                "clusterSecurityGroupId": "sg-0c1a2b3c4d5e6f701",
                "vpcId": "vpc-0abc1234def567890",
            },
            platformVersion="eks.1",
        )
    elif typ == "aws:iam/policy:Policy":
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:policy/{inputs.get('name', name)}"
    elif typ == "aws:sqs/queue:Queue":
        queue = inputs.get("name", name)
        out.update(
            arn=f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}",
            url=f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{queue}",
        )
    elif typ == "aws:eks/nodeGroup:NodeGroup":
        out["status"] = "ACTIVE"
    elif typ == "gcp:container/cluster:Cluster":
        out.update(endpoint="34.90.0.10", masterAuth={"clusterCaCertificate": FAKE_CA}, selfLink=f"clusters/{name}")
    return out


ID_PREFIXES = {
    "aws:efs/fileSystem:FileSystem": "fs-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:efs/mountTarget:MountTarget": "fsmt-",
}


def _fake_id(typ: str, name: str) -> str:
    """A deterministic id shaped like the real one where the shape matters (fs-..., sg-...)."""
    prefix = ID_PREFIXES.get(typ)
    if prefix is None:
        return f"{name}-id"
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:17]


def _fake_invoke(token: str, args: dict[str, Any]) -> dict[str, Any]:
    if token == "aws:eks/getCluster:getCluster":
        cluster = args.get("name", "adopted")
        return {
            "name": cluster,
            "id": cluster,
            "arn": f"arn:aws:eks:eu-west-3:{ACCOUNT_ID}:cluster/{cluster}",
            "endpoint": f"https://{cluster.upper()}.gr7.eu-west-3.eks.amazonaws.com",
            "version": "1.33",
            "status": "ACTIVE",
            "certificateAuthorities": [{"data": FAKE_CA}],
            "identities": [{"oidcs": [{"issuer": "https://oidc.eks.eu-west-3.amazonaws.com/id/EXAMPLE"}]}],
            "vpcConfig": {
                "clusterSecurityGroupId": "sg-0adopted0000000001",
                "subnetIds": ["subnet-0adopted000000001", "subnet-0adopted000000002"],
                "vpcId": "vpc-0adopted000000001",
                "securityGroupIds": [],
                "endpointPrivateAccess": True,
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["0.0.0.0/0"],
                "controlPlaneEgressMode": "AWS_MANAGED",
            },
        }
    if token == "aws:ec2/getSubnet:getSubnet":
        name = args.get("filters", [{}])[0].get("values", ["subnet"])[0]
        digest = hashlib.sha256(name.encode()).hexdigest()[:17]
        return {
            "id": f"subnet-{digest}",
            "vpcId": "vpc-0openshift00000001",
            "availabilityZone": "-".join(name.split("-")[-3:]),
        }
    if token == "aws:ec2/getSecurityGroup:getSecurityGroup":
        return {"id": "sg-0workers000000001", "vpcId": "vpc-0openshift00000001", "name": "workers"}
    if token == "gcp:container/getCluster:getCluster":
        cluster = args.get("name", "adopted")
        return {"name": cluster, "endpoint": "34.90.0.20", "masterAuths": [{"clusterCaCertificate": FAKE_CA}]}
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/plan",
            "userId": "AIDAPLAN",
            "id": ACCOUNT_ID,
        }
    return {}


class FakeCloud(pulumi.runtime.Mocks):
    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = {**args.inputs, **_fake_outputs(args.typ, args.name, args.inputs)}
        return _fake_id(args.typ, args.name), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.recording.invokes.append((args.token, dict(args.args)))
        return _fake_invoke(args.token, dict(args.args)), []


def _alias_urn(request: Any, alias: Any, root: str) -> str:
    """The URN an alias names: given whole, or a spec whose unset parts are the resource's own,
    built the way the mock monitor builds every URN (`MockMonitor.make_urn`), so that it matches
    the URN the resource had before the rename. No parent is the stack's root (`root`), which the
    mock monitor, unlike the engine, names in its children's URNs."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    parent = root if spec.noParent else (spec.parentUrn or request.parent)
    prefix = f"{parent.split('::')[2].split('$')[-1]}$" if parent else ""
    return (
        f"urn:pulumi:{spec.stack or pulumi.get_stack()}::{spec.project or pulumi.get_project()}::"
        f"{prefix}{spec.type or request.type}::{spec.name or request.name}"
    )


def _alias_spec(alias: Any) -> dict[str, Any]:
    if alias.WhichOneof("alias") == "urn":
        return {"urn": str(alias.urn)}
    spec = alias.spec
    return {
        "name": spec.name, "type": spec.type, "stack": spec.stack, "project": spec.project,
        "parentUrn": spec.parentUrn, "noParent": bool(spec.noParent),
    }  # fmt: skip


class RecordingMonitor(pmocks.MockMonitor):
    def __init__(self, mocks: FakeCloud, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording
        self.root = ""  # the stack's root resource, once registered

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            self.root = str(response.urn)
            return response
        inputs = _unwrap(rpc.deserialize_properties(request.object, keep_unknowns=True))
        self.recording.resources.append(
            Registered(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                inputs=inputs,
                dependencies=sorted(request.dependencies),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                aliases=sorted({*request.aliasURNs, *(_alias_urn(request, a, self.root) for a in request.aliases)}),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                id=response.id,
                transforms=len(request.transforms),
                alias_specs=[_alias_spec(a) for a in request.aliases] + [{"urn": u} for u in request.aliasURNs],
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        outputs = _unwrap(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.recording.outputs.update(outputs)
        else:
            # A component's registered outputs: what it says it declared (shown and diffed with it).
            component = self.recording.by_urn(request.urn)
            if component is not None:
                component.outputs = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file config values as the engine passes them (objects as JSON strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def install(recording: Recording) -> Recording:
    """Point the Pulumi runtime at a fresh recording mock engine (also for `@pulumi.runtime.test`)."""
    mocks = FakeCloud(recording)
    psettings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=recording.stack, preview=False, monitor=RecordingMonitor(mocks, recording)
    )
    return recording


def run(
    program: Callable[[], Any],
    config: Mapping[str, Any],
    *,
    stack: str = "test",
    secret_keys: list[str] | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Run `program` under the mock engine with `config` and return what it declared.

    Exceptions from the program (a ConfigError, say) propagate after the runtime is drained;
    pass `recording` to inspect what was registered before that.
    """
    recording = install(recording if recording is not None else Recording(stack))
    pulumi.runtime.set_all_config(config_values(config), secret_keys or [])
    psettings.SETTINGS.rpc_manager.clear()
    psettings.SETTINGS.outputs.clear()
    _sync_await(run_pulumi_func(program))
    root = psettings.get_root_resource()
    exports = getattr(root, "outputs", {}) or {}
    recording.outputs = {k: _sync_await(_resolve(v)) for k, v in exports.items()}
    # Registration order follows the event loop, not the program: one canonical order for
    # everything downstream (tree, plan.json, manifests, diagram, diff), so two runs are identical.
    recording.resources.sort(key=lambda r: r.urn)
    # The mock monitor leaves an event loop per worker thread; collect them now, while their
    # sockets are still open, rather than at interpreter exit (where asyncio complains). A process
    # that runs the program many times (the test session) collects once, at its end, instead:
    # a full collection of its large heap after every run cost a third of each run.
    if COLLECT_AFTER_RUN:
        gc.collect()
    return recording


async def _resolve(value: Any) -> Any:
    """An exported value, fully resolved, with secret parts wrapped in `Secret`."""
    out = pulumi.Output.from_input(value)
    plain = await out.future(with_unknowns=True)
    if await out.is_secret():
        return Secret(plain)
    return plain


# Identical program runs, run once: a test session sets this to a dict (tests/conftest.py). The key
# is the program's code and the run's config, stack and secret keys; a hit hands out a copy and
# leaves the runtime as the run would (its config and stack installed). Off by default.
MEMO: dict[str, Recording] | None = None
# And across processes (the suite's parallel workers): a directory of pickled recordings, by key.
MEMO_DIR: Path | None = None
COLLECT_AFTER_RUN = True


def _memo_get(key: str) -> Recording | None:
    if MEMO is not None and key in MEMO:
        return MEMO[key]
    if MEMO_DIR is not None and (MEMO_DIR / f"{key}.pickle").is_file():
        rec: Recording = pickle.loads((MEMO_DIR / f"{key}.pickle").read_bytes())
        if MEMO is not None:
            MEMO[key] = rec
        return rec
    return None


def _memo_put(key: str, rec: Recording) -> None:
    if MEMO is not None:
        MEMO[key] = copy.deepcopy(rec)
    if MEMO_DIR is not None:
        MEMO_DIR.mkdir(parents=True, exist_ok=True)
        partial = MEMO_DIR / f"{key}.{os.getpid()}.partial"
        partial.write_bytes(pickle.dumps(rec))
        os.replace(partial, MEMO_DIR / f"{key}.pickle")  # whole or absent, for the other workers


@functools.cache
def program_digest() -> str:
    """What the program's behaviour depends on: __main__.py, Pulumi.yaml and every module it imports."""
    h = hashlib.sha256()
    for path in [ROOT / "__main__.py", ROOT / "Pulumi.yaml", *sorted((ROOT / "components").rglob("*.py"))]:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _memo_key(config: Mapping[str, Any], stack: str, secret_keys: list[str] | None) -> str:
    run = json.dumps([config_values(config), stack, sorted(secret_keys or [])], sort_keys=True)
    return hashlib.sha256((program_digest() + run).encode()).hexdigest()


def run_main(
    config: Mapping[str, Any],
    *,
    stack: str = "test",
    secret_keys: list[str] | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Run the project's `__main__.py` (the real program) under the mock engine.

    With `MEMO` on and no `recording` given, a run identical to an earlier one is not run again:
    pass a `recording` to force a fresh run (a test of determinism does)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    key = _memo_key(config, stack, secret_keys) if MEMO is not None and recording is None else None
    known = _memo_get(key) if key is not None else None
    if known is not None:
        install(Recording(stack))
        pulumi.runtime.set_all_config(config_values(config), secret_keys or [])
        return copy.deepcopy(known)
    rec = run(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config,
        stack=stack,
        secret_keys=secret_keys,
        recording=recording,
    )
    if key is not None:
        _memo_put(key, rec)
    return rec
