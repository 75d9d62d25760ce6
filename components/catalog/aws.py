"""EC2 instance types at size granularity, read from `aws_instance_types.csv` (generated from
moto's DescribeInstanceTypes records and offerings by `python -m tools.catalog`).

What the stack asks of it: does a type exist, its architecture, vCPU, memory and GPUs, how many
pods EKS lets a node of it run, whether it boots from EBS, and which zones of a region offer it.
Regions the data has no offerings for answer None ("unknown"), never "not offered".
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FILE = Path(__file__).resolve().parent / "aws_instance_types.csv"
WHERE = "components/catalog/aws_instance_types.csv"
UNLISTED_KEY = "unlistedInstanceType"

Arch = Literal["amd64", "arm64"]
# EC2's ProcessorInfo.SupportedArchitectures in Kubernetes' vocabulary. `i386 x86_64` types run
# amd64; Mac instances (`arm64_mac`, `x86_64_mac`) run macOS only: no Kubernetes node image.
_EC2_ARCH: dict[str, Arch] = {"x86_64": "amd64", "arm64": "arm64"}


@dataclass(frozen=True)
class InstanceType:
    name: str
    architectures: tuple[str, ...]  # as EC2 spells them
    vcpu: int
    memory_mib: int
    gpus: int
    max_enis: int  # of the default network card (what the EKS AMI counts), not every card's
    ipv4_per_eni: int
    root_device_types: tuple[str, ...]
    usage_classes: tuple[str, ...]
    current_generation: bool
    bare_metal: bool
    zones: dict[str, str]  # region -> zone letters that offer it ("" none)

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def size(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def arch(self) -> Arch | None:
        """Kubernetes' name of the architecture nodes of this type run; None for macOS-only types."""
        for a in self.architectures:
            if a in _EC2_ARCH:
                return _EC2_ARCH[a]
        return None

    @property
    def boots_from_ebs(self) -> bool:
        return "ebs" in self.root_device_types

    @property
    def eks_max_pods(self) -> int:
        """Pods the VPC CNI lets a node run (no prefix delegation): ENIs x (IPv4 per ENI - 1) + 2,
        as the EKS AMI's max-pods calculation does."""
        return self.max_enis * (self.ipv4_per_eni - 1) + 2

    def offered_zones(self, region: str) -> frozenset[str] | None:
        """The zones of `region` that offer this type; None when the catalog has no data for it."""
        letters = self.zones.get(region)
        if letters is None:
            return None
        return frozenset(region + letter for letter in letters)


@dataclass(frozen=True)
class Catalog:
    source: str  # the file's first line: package, version, date
    regions: tuple[str, ...]
    types: dict[str, InstanceType]

    @property
    def as_of(self) -> str:
        m = re.search(r"from (\S+ \S+) .*as of (\d{4}-\d{2}-\d{2})", self.source)
        return f"{m[1]}, {m[2]}" if m else self.source

    def zones_of(self, region: str) -> frozenset[str] | None:
        """Every zone of `region` that offers some type (None: no data for the region)."""
        if region not in self.regions:
            return None
        letters = {letter for t in self.types.values() for letter in t.zones.get(region, "")}
        return frozenset(region + letter for letter in letters)

    def sizes(self, family: str) -> list[str]:
        """The sizes of a family, smallest first (vCPU, then name)."""
        found = [t for t in self.types.values() if t.family == family]
        return [t.size for t in sorted(found, key=lambda t: (t.bare_metal, t.vcpu, t.memory_mib, t.size))]

    def families(self) -> set[str]:
        return {t.family for t in self.types.values()}


@functools.cache
def catalog() -> Catalog:
    with FILE.open(newline="") as f:
        reader = csv.reader(f)
        source = next(reader)[0].lstrip("# ")
        header = next(reader)
        regions = tuple(header[11:])
        types = {}
        for row in reader:
            types[row[0]] = InstanceType(
                name=row[0],
                architectures=tuple(row[1].split()),
                vcpu=int(row[2]),
                memory_mib=int(row[3]),
                gpus=int(row[4]),
                max_enis=int(row[5]),
                ipv4_per_eni=int(row[6]),
                root_device_types=tuple(row[7].split()),
                usage_classes=tuple(row[8].split()),
                current_generation=row[9] == "1",
                bare_metal=row[10] == "1",
                zones=dict(zip(regions, row[11:], strict=True)),
            )
    return Catalog(source, regions, types)


def lookup(name: str) -> InstanceType | None:
    return catalog().types.get(name)


def source_note() -> str:
    """Where the facts come from, for messages: `EC2 instance catalog (moto 5.2.5, 2026-12-01)`."""
    return f"EC2 instance catalog, {WHERE} ({catalog().as_of})"


def unknown_type_problem(name: str) -> str:
    """Why `name` is not an instance type, with the nearest real ones."""
    c = catalog()
    family, _, size = name.partition(".")
    if not size:
        hint = "expected family.size, e.g. m6g.2xlarge"
    elif family in c.families():
        hint = f"{family} comes in " + ", ".join(c.sizes(family))
    else:
        close = [f"{f}.{size}" for f in difflib.get_close_matches(family, c.families(), n=3, cutoff=0.75)]
        close = [t for t in close if t in c.types] or close
        hint = f"no family {family}; did you mean {' or '.join(close)}?" if close else f"no family {family}"
    return f"is not an EC2 instance type ({hint}; {source_note()})"
