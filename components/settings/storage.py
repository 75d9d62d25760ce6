"""Shared RWX storage: EFS (eks, openshift) and Filestore (gke)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.settings.base import PROJECT, DnsLabel, _Context, _Model, _validate


def _numeric_string(value: Any) -> Any:
    # The EFS CSI driver takes uid/gid/ranges as strings; an unquoted YAML number is a mistake to name.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'{value!r} is a number; quote it ("{value}"): the CSI driver takes strings')
    return value


_NUMERIC = Field(default=None, pattern=r"^[0-9]+$")


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

    @field_validator("directory_perms")
    @classmethod
    def _octal(cls, v: str) -> str:
        if not re.fullmatch(r"[0-7]{3,4}", v):
            raise ValueError(f'{v!r} is not an octal permission string such as "700" or "0775"')
        return v


# Creation options of a new file system: meaningless (and refused) with `fileSystemId`.
EFS_CREATION_OPTIONS = ("performance_mode", "throughput_mode", "transition_to_ia", "backup", "kms_key_id")


class Efs(_Model):
    enabled: bool = True
    file_system_id: str = Field(default="", pattern=r"^(fs-[0-9a-f]{8,17})?$")  # empty: create one
    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["elastic", "bursting"] = "elastic"
    transition_to_ia: str | None = "AFTER_30_DAYS"  # None: never move files to Infrequent Access
    backup: bool = True
    kms_key_id: str | None = None  # default: the AWS-managed EFS key (encrypted either way)
    identity: Literal["podIdentity", "irsa"] = "podIdentity"  # eks: how the CSI driver gets its IAM role
    storage_class: EfsStorageClass = EfsStorageClass()

    @property
    def adopted(self) -> bool:
        return bool(self.file_system_id)


class FilestoreStorageClass(_Model):
    name: DnsLabel = "filestore-rwx"
    tier: Literal["standard", "premium", "enterprise", "zonal", "regional", "BASIC_HDD", "BASIC_SSD"] = "standard"
    network: str = "default"
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"
    is_default: bool = False


class Filestore(_Model):
    enabled: bool = True
    storage_class: FilestoreStorageClass = FilestoreStorageClass()


class Storage(_Model):
    efs: Efs | None = None  # eks, openshift
    filestore: Filestore | None = None  # gke


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


def _check_storage(ctx: _Context, storage: Storage, errors: list[str]) -> None:
    at = f"{PROJECT}:storage"
    efs, filestore = storage.efs, storage.filestore
    if efs is not None and efs.enabled:
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
