"""What stands in for the engine and the clouds under the SDK's mock engine.

`RecordingMonitor` records every `RegisterResource` request (type, name, parent, provider,
dependencies, options and inputs with secrets still marked) into a `Recording`, and each
component's registered outputs; `FakeCloud` answers with plausible computed outputs (ARNs,
endpoints, ids) and invokes (an adopted cluster's facts). `tools.mockengine` installs both.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc

from tools.recording import Recording, Registered, Secret

SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
ACCOUNT_ID = "123456789012"
FAKE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"


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
    elif typ == "aws:kms/key:Key":  # a consumer's own key, passed in as an Output
        out["arn"] = f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{fake_id(typ, name)}"
        out["keyId"] = fake_id(typ, name)
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
    # A consumer's own network, passed in as Outputs (tests/package/test_consumer_inputs.py).
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
}


def fake_id(typ: str, name: str) -> str:
    """A deterministic id shaped like the real one where the shape matters (fs-..., sg-..., a KMS
    key's UUID)."""
    if typ == "aws:kms/key:Key":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))
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
        return fake_id(args.typ, args.name), outputs

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
                replace_on_changes=sorted(request.replaceOnChanges),
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
