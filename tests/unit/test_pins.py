"""Images by tag and digest (components/versions.py, tools/pins.py): what a pin is, and when a tag
cannot be pinned. The lab (tests/program/test_buildlab.py) resolves a real two-arch index with the
same tool and compares it with what its registry serves."""

from __future__ import annotations

import hashlib
import json

import pytest

from components import versions
from tools import pins


def index(*platforms: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"digest": f"sha256:{i:064x}", "platform": {"os": os_, "architecture": a}}
                for i, (os_, a) in enumerate(platforms)
            ],
        }
    ).encode()


def test_a_two_arch_index_pins_to_the_sha256_of_what_the_registry_serves() -> None:
    raw = index(("linux", "amd64"), ("linux", "arm64"), ("unknown", "unknown"))  # with an attestation
    pin = pins.digest_of("quay.io/buildah/stable:v1.39.0", raw)
    assert pin.digest == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert pin.platforms == ("linux/amd64", "linux/arm64")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (index(("linux", "amd64")), "its index has no linux/arm64 (linux/amd64)"),
        (
            json.dumps({"mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}).encode(),
            "resolves to one image's manifest (application/vnd.oci.image.manifest.v1+json), not a multi-arch index",
        ),
        (b"<html>", "the registry's manifest is not JSON"),
    ],
)
def test_a_tag_that_would_take_an_arch_away_is_not_pinned(raw: bytes, why: str) -> None:
    with pytest.raises(pins.PinError) as exc:
        pins.digest_of("docker.io/library/busybox:1.37.0", raw)
    assert str(exc.value) == f"docker.io/library/busybox:1.37.0: {why}"


def test_an_image_is_referenced_by_tag_and_digest_once_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = "sha256:" + "ab" * 32
    monkeypatch.setitem(versions.IMAGE_DIGESTS, versions.BUILDAH_IMAGE_TAG, digest)
    assert versions.pinned(versions.BUILDAH_IMAGE_TAG) == f"quay.io/buildah/stable:v1.39.0@{digest}"
    assert versions.pinned("docker.io/library/alpine:3") == "docker.io/library/alpine:3"  # unresolved: its tag


def test_the_digests_file_names_only_pinned_images_with_well_formed_digests() -> None:
    doc = json.loads(versions.IMAGE_DIGESTS_FILE.read_text())
    assert set(doc["digests"]) <= set(versions.IMAGES)
    assert all(d.startswith("sha256:") and len(d) == 71 for d in doc["digests"].values())
    for image in versions.IMAGES:  # each a tag, never a bare repository or a digest in the tag's place
        assert ":" in image.rsplit("/", 1)[1] and "@" not in image
