"""Compute Engine machine series GKE node pools may use: their sizes, architecture, the boot disk
types each supports, and where the arm64 series are offered. Hand-kept and dated (no package
ships this offline); sources, read on AS_OF:

- general-purpose series (E2, N1, N2, N2D, N4, N4D, C4A, N4A, T2A, T2D):
  cloud.google.com/compute/docs/general-purpose-machines
- compute-optimized series (C2, C2D, C3, C3D, C4, C4D): cloud.google.com/compute/docs/compute-optimized-machines
- boot disk support per series: cloud.google.com/compute/docs/disks#disk-types ("Machine series support")
- arm64 on GKE (T2A, C4A, N4A; zones and minimum versions): cloud.google.com/kubernetes-engine/docs/concepts/arm-on-gke
  and the "Available regions and zones" table of Compute Engine
- local SSD shapes (`-lssd`: which shapes, from which size): cloud.google.com/compute/docs/disks/local-ssd
  ("Titanium SSD performance"); C3's from GKE's local SSD count tables
- custom machine types (vCPU counts, GB per vCPU, 256 MiB steps): Compute Engine's "Create VMs with custom
  machine types" helper sample (cloud.google.com/compute/docs/samples/compute-custom-machine-type-helper-class);
  N4's vCPU steps are not in it: even counts up to 80 are assumed

A machine type is `<series>-<shape>-<vCPUs>` (n2-standard-8), a shared-core fixed name (e2-medium),
`-lssd` variants where a series has local SSD shapes, or `<series>-custom-<vCPUs>-<MiB>` (N1's:
`custom-<vCPUs>-<MiB>`).
A series or size newer than this table: set `unlistedInstanceType: true` on the pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

AS_OF = "2026-12-01"
WHERE = "components/catalog/gcp.py"
SOURCE = f"Compute Engine machine series table, {WHERE} (hand-kept, as of {AS_OF})"

Arch = Literal["amd64", "arm64"]
PD = ("pd-balanced", "pd-ssd", "pd-standard")
HYPERDISK = ("hyperdisk-balanced",)


@dataclass(frozen=True)
class Custom:
    """A series' custom machine types: the vCPU counts it takes, GB per vCPU, memory in 256 MiB steps."""

    gb_per_vcpu: tuple[float, float]
    vcpus: tuple[int, ...]
    steps: str  # the vCPU rule as Google states it
    prefix: str = ""  # the name's first part: the series' name, but `custom` for N1


def _even(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, 2))


@dataclass(frozen=True)
class Series:
    name: str
    arch: Arch
    shapes: dict[str, tuple[float, tuple[int, ...]]]  # shape -> (GB per vCPU, vCPU counts)
    boot_disks: tuple[str, ...]  # the first is the stack's default
    fixed: dict[str, tuple[int, float]] = field(default_factory=dict)  # name -> (vCPU, GB): shared core
    lssd: dict[str, tuple[int, ...]] = field(default_factory=dict)  # shape -> vCPU counts with a `-lssd` variant
    custom: Custom | None = None
    regions: dict[str, tuple[str, ...]] | None = None  # arm64: region -> zone letters (() any); None: every region
    gke_from: str | None = None  # the first GKE minor that offers the series
    title: str = ""  # how Google names it ("Tau T2A"); default the series in capitals

    @property
    def display(self) -> str:
        return self.title or self.name.upper()

    def memory_gb(self, shape: str, vcpu: int) -> float:
        return self.shapes[shape][0] * vcpu


SERIES: dict[str, Series] = {
    s.name: s
    for s in (
        Series(
            "e2", "amd64",
            {"standard": (4, (2, 4, 8, 16, 32)), "highmem": (8, (2, 4, 8, 16)), "highcpu": (1, (2, 4, 8, 16, 32))},
            PD, fixed={"e2-micro": (2, 1), "e2-small": (2, 2), "e2-medium": (2, 4)},
            custom=Custom((0.5, 8), _even(2, 32), "an even count from 2 to 32"),
        ),
        Series(
            "n1", "amd64",
            {
                "standard": (3.75, (1, 2, 4, 8, 16, 32, 64, 96)),
                "highmem": (6.5, (2, 4, 8, 16, 32, 64, 96)),
                "highcpu": (0.9, (2, 4, 8, 16, 32, 64, 96)),
            },
            PD, custom=Custom((0.9, 6.5), (1, *_even(2, 96)), "1, or an even count from 2 to 96", prefix="custom"),
        ),
        Series(
            "n2", "amd64",
            {
                "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
                "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
                "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
            },
            PD,
            custom=Custom(
                (0.5, 8), (*_even(2, 32), *range(36, 129, 4)), "an even count from 2 to 32, then multiples of 4 to 128"
            ),
        ),
        Series(
            "n2d", "amd64",
            {
                "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
                "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
                "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
            },
            PD, custom=Custom((0.5, 8), (2, 4, 8, 16, 32, 48, 64, 80, 96), "2, 4, 8, 16, 32, 48, 64, 80 or 96"),
        ),
        Series(
            "n4", "amd64",
            {
                "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80)),
                "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80)),
                "highcpu": (2, (2, 4, 8, 16, 32, 48, 64, 80)),
            },
            HYPERDISK, custom=Custom((2, 8), _even(2, 80), "an even count from 2 to 80"),
        ),
        Series(
            "n4d", "amd64",
            {
                "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
                "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
                "highcpu": (2, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
            },
            HYPERDISK,
        ),
        Series("t2d", "amd64", {"standard": (4, (1, 2, 4, 8, 16, 32, 48, 60))}, PD),
        Series("c2", "amd64", {"standard": (4, (4, 8, 16, 30, 60))}, PD),
        Series(
            "c2d", "amd64",
            {s: (gb, (2, 4, 8, 16, 32, 56, 112)) for s, gb in (("standard", 4), ("highcpu", 2), ("highmem", 8))},
            PD,
        ),
        Series(
            "c3", "amd64",
            {s: (gb, (4, 8, 22, 44, 88, 176)) for s, gb in (("standard", 4), ("highcpu", 2), ("highmem", 8))},
            ("pd-balanced", "pd-ssd", "hyperdisk-balanced"), lssd={"standard": (4, 8, 22, 44, 88, 176)},
        ),
        Series(
            "c3d", "amd64",
            {s: (gb, (4, 8, 16, 30, 60, 90, 180, 360)) for s, gb in (("standard", 4), ("highcpu", 2), ("highmem", 8))},
            ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
            lssd={s: (8, 16, 30, 60, 90, 180, 360) for s in ("standard", "highmem")},
        ),
        Series(
            "c4", "amd64",
            {
                s: (gb, (2, 4, 8, 16, 24, 32, 48, 96, 144, 192, 288))
                for s, gb in (("standard", 3.75), ("highcpu", 2), ("highmem", 7.75))
            },
            HYPERDISK, lssd={s: (4, 8, 16, 24, 32, 48, 96, 144, 192, 288) for s in ("standard", "highmem")},
        ),
        Series(
            "c4d", "amd64",
            {
                s: (gb, (2, 4, 8, 16, 32, 48, 64, 96, 192, 384))
                for s, gb in (("standard", 3.875), ("highcpu", 1.875), ("highmem", 7.875))
            },
            HYPERDISK, lssd={s: (8, 16, 32, 48, 64, 96, 192, 384) for s in ("standard", "highmem")},
        ),
        # Tau T2A (Ampere Altra): the zones that offer it, as listed since its GA.
        Series(
            "t2a", "arm64", {"standard": (4, (1, 2, 4, 8, 16, 32, 48))}, PD, title="Tau T2A",
            regions={"us-central1": ("a", "b", "f"), "europe-west4": ("a", "b", "c"), "asia-southeast1": ("b", "c")},
        ),
        # Axion C4A: Hyperdisk only; offered in these regions (GKE places the pool in their zones).
        Series(
            "c4a", "arm64",
            {s: (gb, (1, 2, 4, 8, 16, 32, 48, 64, 72)) for s, gb in (("standard", 4), ("highcpu", 2), ("highmem", 8))},
            HYPERDISK, lssd={s: (4, 8, 16, 32, 48, 64, 72) for s in ("standard", "highmem")}, title="Axion C4A",
            regions={
                r: () for r in (
                    "us-central1", "us-east1", "us-east4", "us-west1", "europe-west1", "europe-west2", "europe-west3",
                    "europe-west4", "europe-north1", "asia-east1", "asia-northeast1", "asia-south1", "asia-southeast1",
                )
            },
        ),
        # Axion N4A: Hyperdisk only; GKE offers it from 1.34.
        Series(
            "n4a", "arm64",
            {s: (gb, (1, 2, 4, 8, 16, 32, 48, 64)) for s, gb in (("standard", 4), ("highcpu", 2), ("highmem", 8))},
            HYPERDISK,
            regions={r: () for r in ("us-central1", "us-east4", "europe-west3", "europe-west4", "asia-southeast1")},
            gke_from="1.34", title="Axion N4A",
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class MachineType:
    name: str
    series: Series
    vcpu: int
    memory_mib: int

    @property
    def arch(self) -> Arch:
        return self.series.arch


_SHAPED = re.compile(r"([a-z0-9]+)-([a-z]+)-(\d+)(-lssd)?")
_CUSTOM = re.compile(r"([a-z0-9]+)-custom-(\d+)-(\d+)")
_N1_CUSTOM = re.compile(r"custom-(\d+)-(\d+)")


def lookup(name: str) -> MachineType | None:
    """The machine type, or None when the name is not one of a listed series (see `problem`)."""
    return _parse(name)[0]


def problem(name: str) -> str:
    """Why `name` is not a machine type of the table, with what would be."""
    found, why = _parse(name)
    assert found is None
    return f"{why} ({SOURCE})"


def _parse(name: str) -> tuple[MachineType | None, str]:
    n1 = _N1_CUSTOM.fullmatch(name)
    if n1:
        return _custom(name, SERIES["n1"], int(n1[1]), int(n1[2]))
    series = SERIES.get(name.split("-", 1)[0])
    if series is None:
        known = ", ".join(sorted(SERIES))
        return None, f"is not a machine type of a series GKE pools may use (series: {known})"
    if name in series.fixed:
        vcpu, gb = series.fixed[name]
        return MachineType(name, series, vcpu, int(gb * 1024)), ""
    custom = _CUSTOM.fullmatch(name)
    if custom:
        if series.custom is not None and series.custom.prefix:
            named = f"{series.custom.prefix}-<vCPUs>-<MiB>"
            return None, f"is not a machine type: {series.display}'s custom types are named {named}"
        return _custom(name, series, int(custom[2]), int(custom[3]))
    m = _SHAPED.fullmatch(name)
    if m is None or m[2] not in series.shapes:
        shapes = ", ".join(f"{series.name}-{s}-N" for s in series.shapes)
        return None, f"is not a {series.name} machine type (expected {shapes})"
    shape, vcpu, lssd = m[2], int(m[3]), bool(m[4])
    if lssd and shape not in series.lssd:
        return None, f"is not a machine type: {series.name}-{shape} has no -lssd variant"
    sizes = series.lssd[shape] if lssd else series.shapes[shape][1]
    if vcpu not in sizes:
        what = f"{series.name}-{shape}-N-lssd" if lssd else f"{series.name}-{shape}"
        return None, f"is not a size of {what}: it comes in " + ", ".join(map(str, sizes)) + " vCPUs"
    return MachineType(name, series, vcpu, int(series.memory_gb(shape, vcpu) * 1024)), ""


def _custom(name: str, series: Series, vcpu: int, mib: int) -> tuple[MachineType | None, str]:
    rules = series.custom
    if rules is None:
        return None, f"is not a machine type: {series.display} has no custom machine types"
    if vcpu not in rules.vcpus:
        return None, f"is not a custom {series.display} machine type: its vCPU count is {rules.steps}, not {vcpu}"
    low, high = rules.gb_per_vcpu
    per = mib / 1024 / vcpu
    if mib % 256 or not low <= per <= high:
        return None, (
            f"is not a custom {series.display} machine type: it takes {low:g} to {high:g} GB per vCPU in multiples "
            f"of 256 MiB ({mib} MiB for {vcpu} vCPU is {per:.2f} GB each)"
        )
    return MachineType(name, series, vcpu, mib), ""


def zones_offering(series: Series, region: str) -> tuple[str, ...] | None:
    """The zones of `region` that offer the series: None when every zone does (or the series has no
    list), () when the region offers it in zones the table does not name."""
    if series.regions is None:
        return None
    return tuple(f"{region}-{z}" for z in series.regions.get(region, ()))


def offered_in(series: Series, location: str) -> bool:
    """True when `location` (a region or a zone) offers the series."""
    if series.regions is None:
        return True
    region = location if location.count("-") < 2 else location.rsplit("-", 1)[0]
    if region not in series.regions:
        return False
    letters = series.regions[region]
    return location == region or not letters or location.rsplit("-", 1)[1] in letters


def locations(series: Series) -> str:
    """Where an arm64 series is offered, for messages."""
    assert series.regions is not None
    return ", ".join(f"{r} ({', '.join(z)})" if z else r for r, z in series.regions.items())
