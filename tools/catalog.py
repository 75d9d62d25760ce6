"""Regenerate the cloud catalog's generated files from the packages that ship the data.

    python -m tools.catalog           # rewrite components/catalog/aws_instance_types.csv, aws_api.json
    python -m tools.catalog --check   # exit 1 (and say what differs) when they are not current

- `aws_instance_types.csv`: every EC2 instance type of moto's `DescribeInstanceTypes` records
  (`moto/ec2/resources/instance_types.json.gz`) with what the stack checks (architectures, vCPU,
  memory, GPUs, network interfaces and addresses, root device types, usage classes), and per region
  the letters of the availability zones that offer it (`instance_type_offerings/availability-zone/`).
- `aws_api.json`: the constraints (min, max, pattern, enum) of the AWS API fields the stack's
  inputs map to, from botocore's service models, and the partitions with their regions and DNS
  suffixes (`botocore/data/partitions.json`).

Each file records the package and version it came from and an "as of" date: the day this version
of the data was first generated. Regenerating unchanged data keeps the date, so the file is a pure
function of the installed package (`tests/unit/test_catalog.py` checks that it is current).
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).resolve().parent.parent / "components" / "catalog"
INSTANCE_TYPES = CATALOG / "aws_instance_types.csv"
API = CATALOG / "aws_api.json"
COMMAND = "python -m tools.catalog"

# The instance type columns, then one column per region (the zone letters that offer the type).
COLUMNS = (
    "instanceType",
    "architectures",  # EC2 ProcessorInfo.SupportedArchitectures, space-separated
    "vcpu",
    "memoryMiB",
    "gpus",
    "defaultCardNetworkInterfaces",
    "ipv4PerInterface",
    "rootDeviceTypes",
    "usageClasses",
    "currentGeneration",
    "bareMetal",
)
HEADER_MARK = "#"

# The API fields the stack's inputs map to: service -> shapes (botocore shape names).
API_SHAPES: dict[str, tuple[str, ...]] = {
    "eks": (
        "ClusterName", "labelKey", "labelValue", "taintKey", "taintValue", "TaintEffect",
        "ZeroCapacity", "Capacity", "AMITypes", "CapacityTypes",
    ),
    "efs": (
        "CreationToken", "TransitionToIARules", "ThroughputMode", "PerformanceMode", "Uid", "Gid",
        "Permissions", "FileSystemId", "KmsKeyId", "Path",
    ),
    "iam": ("roleNameType", "policyNameType"),
    "events": ("RuleName",),
    "ec2": ("InstanceType",),
}  # fmt: skip
CONSTRAINT_KEYS = ("type", "min", "max", "pattern", "enum")


def _moto_resources() -> Path:
    import moto

    return Path(moto.__file__).parent / "ec2" / "resources"


def _load_gz(path: Path) -> Any:
    with gzip.open(path, "rt") as f:
        return json.load(f)


def _default_card_enis(net: dict[str, Any]) -> int:
    """The ENIs of the default network card: what the EKS AMI's max-pods counts (amazon-eks-ami
    eni-max-pods.txt: "for multi-card instance types the max limits is calculated only against the
    default network card"), not the instance's total over every card."""
    index = net.get("DefaultNetworkCardIndex", 0)
    for card in net.get("NetworkCards") or []:
        if card.get("NetworkCardIndex") == index:
            return int(card["MaximumNetworkInterfaces"])
    return int(net["MaximumNetworkInterfaces"])


def instance_rows() -> tuple[list[str], list[list[str]]]:
    """(region columns, one row per instance type) from the installed moto."""
    resources = _moto_resources()
    types: dict[str, Any] = _load_gz(resources / "instance_types.json.gz")
    zones_dir = resources / "instance_type_offerings" / "availability-zone"
    regions = sorted(p.name.removesuffix(".json.gz") for p in zones_dir.glob("*.json.gz"))
    offered: dict[tuple[str, str], set[str]] = {}
    for region in regions:
        for offer in _load_gz(zones_dir / f"{region}.json.gz"):
            zone = offer["Location"]
            if not zone.startswith(region) or len(zone) != len(region) + 1:
                raise ValueError(f"moto lists zone {zone!r} under {region}: not a region + letter")
            offered.setdefault((offer["InstanceType"], region), set()).add(zone[-1])
    rows = []
    for name in sorted(types):
        t = types[name]
        net = t["NetworkInfo"]
        gpus = sum(g.get("Count", 0) for g in (t.get("GpuInfo") or {}).get("Gpus", []))
        row = [
            name,
            " ".join(t["ProcessorInfo"]["SupportedArchitectures"]),
            str(t["VCpuInfo"]["DefaultVCpus"]),
            str(t["MemoryInfo"]["SizeInMiB"]),
            str(gpus),
            str(_default_card_enis(net)),
            str(net["Ipv4AddressesPerInterface"]),
            " ".join(t["SupportedRootDeviceTypes"]),
            " ".join(t.get("SupportedUsageClasses") or []),
            "1" if t.get("CurrentGeneration") else "0",
            "1" if t.get("BareMetal") else "0",
        ]
        row += ["".join(sorted(offered.get((name, region), ()))) for region in regions]
        rows.append(row)
    return regions, rows


def _source_line(package: str, what: str, as_of: str) -> str:
    return (
        f"{HEADER_MARK} generated by `{COMMAND}` from {package} {metadata.version(package)} ({what}); "
        f"as of {as_of}; do not edit"
    )


def _existing_as_of(text: str | None, data_equal: Callable[[str], bool]) -> str | None:
    """The committed file's date when its data equals the new data (else None: a new date)."""
    if text is None or not data_equal(text):
        return None
    marker = "as of "
    start = text.find(marker)
    return text[start + len(marker) : start + len(marker) + 10] if start >= 0 else None


def render_instance_types(existing: str | None, today: str) -> str:
    regions, rows = instance_rows()

    def body(as_of: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([_source_line("moto", "ec2/resources/instance_types.json.gz, instance_type_offerings", as_of)])
        writer.writerow([*COLUMNS, *regions])
        writer.writerows(rows)
        return out.getvalue()

    def same_data(text: str) -> bool:
        return text.split("\n", 1)[1:] == body(today).split("\n", 1)[1:]

    return body(_existing_as_of(existing, same_data) or today)


def _constraints(shape: dict[str, Any]) -> dict[str, Any]:
    return {k: shape[k] for k in CONSTRAINT_KEYS if k in shape}


def api_document() -> dict[str, Any]:
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    services: dict[str, Any] = {}
    for service, shapes in API_SHAPES.items():
        model = loader.load_service_model(service, "service-2")
        services[service] = {
            "apiVersion": model["metadata"]["apiVersion"],
            "shapes": {name: _constraints(model["shapes"][name]) for name in shapes},
        }
    partitions = {}
    for p in loader.load_data("partitions")["partitions"]:
        partitions[p["id"]] = {
            "regionRegex": p["regionRegex"],
            "dnsSuffix": p["outputs"]["dnsSuffix"],
            "regions": sorted(r for r in p.get("regions", {}) if not r.endswith("-global")),
        }
    return {"services": services, "partitions": partitions}


def render_api(existing: str | None, today: str) -> str:
    data = api_document()

    def body(as_of: str) -> str:
        source = {
            "package": "botocore",
            "version": metadata.version("botocore"),
            "files": "botocore/data/<service>/<version>/service-2.json, botocore/data/partitions.json",
            "generatedBy": COMMAND,
            "asOf": as_of,
        }
        return json.dumps({"source": source, **data}, indent=1, sort_keys=True) + "\n"

    def same_data(text: str) -> bool:
        old = json.loads(text)
        return {k: v for k, v in old.items() if k != "source"} == data and old["source"]["version"] == metadata.version(
            "botocore"
        )

    as_of = None
    if existing is not None and same_data(existing):
        as_of = json.loads(existing)["source"]["asOf"]
    return body(as_of or today)


TARGETS: dict[Path, Callable[[str | None, str], str]] = {
    INSTANCE_TYPES: render_instance_types,
    API: render_api,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    today = datetime.date.today().isoformat()
    stale = []
    for path, render in TARGETS.items():
        existing = path.read_text() if path.exists() else None
        fresh = render(existing, today)
        if fresh == existing:
            continue
        if check:
            stale.append(path)
        else:
            path.write_text(fresh)
            print(f"wrote {path.relative_to(CATALOG.parent.parent)} ({len(fresh.encode()) // 1024} KiB)")
    for path in stale:
        print(f"{path.relative_to(CATALOG.parent.parent)} is not current: run `{COMMAND}`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
