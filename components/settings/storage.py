"""Shared RWX storage: EFS (eks, openshift) and Filestore (gke)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .. import limits, workspaces
from ..catalog import api
from .base import PROJECT, DnsLabel, Pending, _Context, _Model, _validate


def _numeric_string(value: Any) -> Any:
    # The EFS CSI driver takes uid/gid/ranges as strings; an unquoted YAML number is a mistake to name.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'{value!r} is a number; quote it ("{value}"): the CSI driver takes strings')
    return value


_NUMERIC = Field(default=None, pattern=r"^[0-9]+$")


def _api_checked(service: str, shape: str, what: str, expected: str = "") -> Any:
    """A validator holding a value to its API field's constraints (`components/catalog/aws_api.json`);
    `expected` says the pattern in words."""
    f = api.field(service, shape)

    def check(value: Any) -> Any:
        if value is None or isinstance(value, Pending):
            return value
        if f.type in ("long", "integer"):
            problem = f.number_problem(int(value))
        elif f.enum:
            problem = f.enum_problem(value)
        else:
            problem = f.length_problem(value) or (
                None if f.pattern_matches(value) else f"expected {expected or 'a match of ' + str(f.pattern)}"
            )
        if problem:
            raise ValueError(f"{value!r} is not {what}: {problem} ({f.source})")
        return value

    return check


class EfsStorageClass(_Model):
    """The EFS StorageClass (dynamic provisioning through access points)."""

    name: DnsLabel = "efs-csi"
    directory_perms: str = "700"
    uid: str | None = Field(default="0", pattern=r"^[0-9]+$")  # 0/0: root pods see consistent ownership (seed 001)
    gid: str | None = Field(default="0", pattern=r"^[0-9]+$")
    gid_range_start: str | None = _NUMERIC
    gid_range_end: str | None = _NUMERIC
    base_path: str = Field(default="/pv", pattern=r"^/")
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"  # Retain recommended for prod
    volume_binding_mode: Literal["Immediate", "WaitForFirstConsumer"] = "Immediate"
    is_default: bool = False

    _quoted = field_validator("directory_perms", "uid", "gid", "gid_range_start", "gid_range_end", mode="before")(
        _numeric_string
    )

    _uid = field_validator("uid", "gid", "gid_range_start", "gid_range_end")(
        _api_checked("efs", "Uid", "a POSIX user or group id")
    )

    @field_validator("directory_perms")
    @classmethod
    def _octal(cls, v: str) -> str:
        f = api.field("efs", "Permissions")
        if not f.pattern_matches(v):
            raise ValueError(f'{v!r} is not an octal permission string such as "700" or "0775" ({f.source})')
        return v

    @field_validator("base_path")
    @classmethod
    def _access_point_path(cls, v: str) -> str:
        # The CSI driver makes each access point's root `<basePath>/<PV name>` (a 40-character name):
        # EFS allows such a path at most 100 characters in at most 4 components, without $#<>;`|&?{}^*.
        f = api.field("efs", "Path")
        most = int(f.max or 100)
        parts = [p for p in v.split("/") if p]
        bad = set("$#<>;`|&?{}^*\n") & set(v)
        if len(v) + 41 > most or len(parts) > 3 or bad or any(p.startswith(".") for p in parts):
            raise ValueError(
                f"{v!r} leaves no valid EFS access point path: <basePath>/<PV name> must be at most {most} "
                f"characters in at most 4 components, none starting with . and without $#<>;`|&?{{}}^* "
                f"(so basePath at most {most - 41} characters and 3 components; {f.source})"
            )
        return v


# Creation options of a new file system: meaningless (and refused) with `fileSystemId`.
EFS_CREATION_OPTIONS = ("performance_mode", "throughput_mode", "transition_to_ia", "backup", "kms_key_id")


class Efs(_Model):
    enabled: bool = True
    file_system_id: str | Pending = ""  # empty: create one; set (an Output too): adopt it
    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["elastic", "bursting"] = "elastic"
    transition_to_ia: str | None = "AFTER_30_DAYS"  # None: never move files to Infrequent Access
    backup: bool = True
    kms_key_id: str | Pending | None = None  # default: the AWS-managed EFS key (encrypted either way)

    _file_system = field_validator("file_system_id")(
        lambda v: (
            v
            and _api_checked(
                "efs",
                "FileSystemId",
                "an EFS file system id",
                "fs- and 8 to 40 hexadecimal digits, or the file system's ARN",
            )(v)
        )
    )
    _transition = field_validator("transition_to_ia")(
        _api_checked("efs", "TransitionToIARules", "an EFS lifecycle transition")
    )
    _kms = field_validator("kms_key_id")(
        _api_checked(
            "efs", "KmsKeyId", "a KMS key", "a key id (a UUID or mrk-...), alias/NAME, or the key's or alias's ARN"
        )
    )
    identity: Literal["podIdentity", "irsa"] = "podIdentity"  # eks: how the CSI driver gets its IAM role
    storage_class: EfsStorageClass = EfsStorageClass()

    @property
    def adopted(self) -> bool:
        return bool(self.file_system_id)


# Filestore's minimum capacity per tier (Filestore service tiers): what a shared workspace may be.
FILESTORE_MINIMUM_TIB = {"standard": 1.0, "BASIC_HDD": 1.0, "premium": 2.5, "BASIC_SSD": 2.5}
FILESTORE_SOURCE = "Filestore service tiers: Basic HDD, Zonal, Regional, Enterprise 1 TiB, Basic SSD 2.5 TiB"
# From GKE 1.33, the Filestore CSI driver provisions Basic HDD from 100 GiB (GKE "Filestore CSI
# driver" page, supported tiers and versions).
FILESTORE_SMALL_HDD = ("1.33", 100 / 1024)
FILESTORE_SMALL_TIERS = ("standard", "BASIC_HDD")


def filestore_minimum_tib(tier: str, version: str | None) -> float:
    small_from, small = FILESTORE_SMALL_HDD
    if tier in FILESTORE_SMALL_TIERS and version is not None and _minor_key(version) >= _minor_key(small_from):
        return small
    return FILESTORE_MINIMUM_TIB.get(tier, 1.0)


def _minor_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split(".")[:2] if x.isdigit())


def filestore_size(tib: float) -> str:
    return f"{tib:g}Ti" if tib >= 1 else f"{round(tib * 1024)}Gi"


class FilestoreStorageClass(_Model):
    name: DnsLabel = "filestore-rwx"
    tier: Literal["standard", "premium", "enterprise", "zonal", "regional", "BASIC_HDD", "BASIC_SSD"] = "standard"
    network: str | Pending = "default"  # the VPC network's name (an Output too)
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"
    is_default: bool = False


class Filestore(_Model):
    enabled: bool = True
    storage_class: FilestoreStorageClass = FilestoreStorageClass()
    # The builds' shared workspace volume (with pipelines): one Filestore instance of this size,
    # each run in its own directory; at least the tier's minimum, which is the default.
    workspace_size: str | None = None

    @property
    def workspace_capacity(self) -> str:
        """The size given, else the tier's minimum at the cluster's version (`resolved` sets it)."""
        return self.workspace_size or workspaces.DEFAULT_SHARED_SIZE

    def resolved(self, version: str | None) -> Filestore:
        if self.workspace_size is not None:
            return self
        tib = filestore_minimum_tib(self.storage_class.tier, version)
        return self.model_copy(update={"workspace_size": filestore_size(tib)})


class Storage(_Model):
    efs: Efs | None = None  # eks, openshift
    filestore: Filestore | None = None  # gke

    @property
    def rwx_declared(self) -> bool:
        """A ReadWriteMany backend is on (whether it suits the platform is `_check_storage`'s)."""
        return any(b is not None and b.enabled for b in (self.efs, self.filestore))


def _storage(raw: Any, errors: list[str]) -> Storage:
    """Each backend validated on its own, so a mistake in one does not hide the rules of the other."""
    if raw is None:
        return Storage()
    if not isinstance(raw, dict):
        errors.append(f"{PROJECT}:storage: expected an object with `efs` and/or `filestore`, got {raw!r}")
        return Storage()
    for key in sorted(set(raw) - {"efs", "filestore"}):
        errors.append(f"{PROJECT}:storage.{key}: is not a known key (expected efs or filestore)")
    parts: dict[str, Any] = {}
    for key, model in (("efs", Efs), ("filestore", Filestore)):
        if raw.get(key) is not None:
            parts[key] = _validate(f"{PROJECT}:storage.{key}", model, raw[key], errors)
    return Storage(**{k: v for k, v in parts.items() if v is not None})


PLATFORM_NAMES = {"eks": "EKS", "gke": "GKE", "openshift": "OpenShift"}


def _check_storage(ctx: _Context, storage: Storage, errors: list[str]) -> None:
    at = f"{PROJECT}:storage"
    efs, filestore = storage.efs, storage.filestore
    owned = limits.PLATFORM_STORAGE_CLASSES.get(ctx.platform or "", ())
    for key, backend in (("efs", efs), ("filestore", filestore)):
        if backend is not None and backend.enabled and backend.storage_class.name in owned:
            errors.append(
                f"{at}.{key}.storageClass.name: {backend.storage_class.name!r} is a StorageClass "
                f"{PLATFORM_NAMES.get(ctx.platform or '', '')} "
                f"creates and reconciles itself ({', '.join(owned)}); the stack's would fight it: choose another name "
                f"({'GKE storage classes' if ctx.platform == 'gke' else 'the platform default StorageClasses'})"
            )
    if efs is not None and efs.enabled:
        if not efs.adopted and efs.performance_mode == "maxIO" and efs.throughput_mode == "elastic":
            default = "" if "throughput_mode" in efs.model_fields_set else " (the default)"
            errors.append(
                f"{at}.efs.performanceMode: 'maxIO' with throughputMode 'elastic'{default}: EFS refuses Max I/O with "
                "Elastic throughput; set throughputMode: bursting, or keep performanceMode generalPurpose "
                "(EFS User Guide, performance modes)"
            )
        if ctx.platform == "gke":
            errors.append(f"{at}.efs: EFS is for platforms eks and openshift; on gke use storage.filestore")
        sc = efs.storage_class
        if (sc.gid_range_start is None) != (sc.gid_range_end is None):
            errors.append(
                f"{at}.efs.storageClass: gidRangeStart and gidRangeEnd go together "
                f"(got gidRangeStart={sc.gid_range_start!r}, gidRangeEnd={sc.gid_range_end!r})"
            )
        elif sc.gid_range_start is not None and int(sc.gid_range_start) > int(sc.gid_range_end or 0):
            errors.append(
                f"{at}.efs.storageClass.gidRangeStart: {sc.gid_range_start} is greater than "
                f"gidRangeEnd {sc.gid_range_end}"
            )
        if efs.adopted:
            given = [to_camel(k) for k in EFS_CREATION_OPTIONS if k in efs.model_fields_set]
            if given:
                errors.append(
                    f"{at}.efs.fileSystemId: {efs.file_system_id} adopts an existing file system, so "
                    f"{', '.join(given)} cannot apply; remove them or leave fileSystemId empty to create one"
                )
        elif ctx.platform == "eks" and ctx.cluster is not None and not ctx.cluster.subnet_ids:
            errors.append(
                f"{at}.efs: creating a file system needs cluster.subnetIds (one mount target per subnet); "
                "list the cluster's private subnets, or adopt a file system with fileSystemId"
            )
        if "identity" in efs.model_fields_set and ctx.platform == "openshift":
            errors.append(f"{at}.efs.identity: only for platform eks (the OpenShift operator gets its own credentials)")
    if filestore is not None and filestore.enabled and ctx.platform in ("eks", "openshift"):
        errors.append(f"{at}.filestore: Filestore is for platform gke; on {ctx.platform} use storage.efs")
    if filestore is not None and filestore.enabled:
        _check_workspace_size(filestore, ctx.cluster.kubernetes_version if ctx.cluster else None, errors)


def _check_workspace_size(filestore: Filestore, version: str | None, errors: list[str]) -> None:
    at = f"{PROJECT}:storage.filestore.workspaceSize"
    if filestore.workspace_size is None:
        return
    value = limits.quantity(filestore.workspace_size)
    tier = filestore.storage_class.tier
    minimum = filestore_minimum_tib(tier, version)
    if value is None:
        errors.append(f"{at}: {filestore.workspace_size!r} is not a Kubernetes quantity such as 1Ti")
    elif value < minimum * 1024**4:
        errors.append(
            f"{at}: {filestore.workspace_size} is below what a {tier} Filestore instance holds at least, "
            f"{filestore_size(minimum)} ({FILESTORE_SOURCE}; Basic HDD from 100Gi on GKE 1.33 and later): "
            f"set at least {filestore_size(minimum)}"
        )
