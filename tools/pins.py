"""Resolve the digest of each pinned image tag (`components/versions.py` IMAGES) from its registry.

    ./venv/bin/python -m tools.pins           # each tag, its pinned digest and what the registry says now
    ./venv/bin/python -m tools.pins --write   # write the resolved digests to components/image_digests.json

A tag's digest is the sha256 of the manifest its registry serves for it, byte for byte (`skopeo
inspect --raw`): for a multi-arch image, its index. An index must list linux/amd64 and linux/arm64
(the builds run on both): a tag that resolves to one platform's manifest, or to an index without
both, is refused, since pinning it would take an arch away. Needs skopeo and the registries (the
network): run it where both are, and commit the file.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from components import versions

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
NEEDED = ("linux/amd64", "linux/arm64")


class PinError(Exception):
    """A tag that cannot be pinned: its registry is unreachable, or it is not a two-arch index."""


@dataclass(frozen=True)
class Pin:
    image: str
    digest: str
    platforms: tuple[str, ...]


def digest_of(image: str, raw: bytes) -> Pin:
    """The pin of a tag from the manifest its registry serves (PinError unless a two-arch index)."""
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise PinError(f"{image}: the registry's manifest is not JSON") from None
    media_type = manifest.get("mediaType", "")
    if media_type not in INDEX_TYPES and "manifests" not in manifest:
        raise PinError(f"{image}: resolves to one image's manifest ({media_type}), not a multi-arch index")
    platforms = tuple(
        sorted(
            {
                f"{p.get('os')}/{p.get('architecture')}"
                for m in manifest.get("manifests", [])
                if (p := m.get("platform") or {}).get("os") != "unknown"  # attestations
            }
        )
    )
    missing = [p for p in NEEDED if p not in platforms]
    if missing:
        raise PinError(f"{image}: its index has no {', '.join(missing)} ({', '.join(platforms) or 'none'})")
    return Pin(image, "sha256:" + hashlib.sha256(raw).hexdigest(), platforms)


def resolve(image: str, *, skopeo: str = "skopeo", tls_verify: bool = True) -> Pin:
    """Ask the registry for the tag's manifest, as served (skopeo inspect --raw)."""
    command = [skopeo, "inspect", "--raw", f"--tls-verify={str(tls_verify).lower()}", f"docker://{image}"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PinError(f"{image}: skopeo could not run: {exc}") from None
    if done.returncode != 0:
        raise PinError(f"{image}: {done.stderr.decode(errors='replace').strip() or 'skopeo failed'}")
    return digest_of(image, done.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pins", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the digests to components/image_digests.json")
    args = parser.parse_args(argv)
    resolved: dict[str, str] = {}
    failed = 0
    for image in versions.IMAGES:
        pinned = versions.IMAGE_DIGESTS.get(image, "(tag only)")
        try:
            pin = resolve(image)
        except PinError as exc:
            print(f"{image}: pinned {pinned}; cannot resolve: {exc}", file=sys.stderr)
            failed += 1
            continue
        resolved[image] = pin.digest
        change = "" if pin.digest == pinned else " (differs from the pin)"
        print(f"{image}: pinned {pinned}; the registry serves {pin.digest}{change}")
    if args.write:
        if failed:
            print("nothing written: every image must resolve", file=sys.stderr)
            return 1
        doc = json.loads(versions.IMAGE_DIGESTS_FILE.read_text())
        doc["digests"] = resolved
        doc["resolved"] = datetime.date.today().isoformat()
        versions.IMAGE_DIGESTS_FILE.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {len(resolved)} digests to {versions.IMAGE_DIGESTS_FILE}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
