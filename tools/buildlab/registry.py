"""The lab registry: a distribution v2 registry on 127.0.0.1 over TLS with a lab certificate
trusted for its address only, stopped by its PID; its v2 API read directly (`Registry`); and a
pushed tag verified (`verify`: the checks of `manifests`).
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import ssl
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tools import pins
from tools.buildlab import manifests
from tools.buildlab.lab import LabError

REGISTRY_PIDS: list[int] = []  # the registries this process started (the tests check they are gone)
CERTS_D = Path("/etc/containers/certs.d")  # where containers/image looks for a registry's CA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def trusted_certificate(lab: Path, address: str, log: list[str]) -> Iterator[tuple[Path, Path]]:
    """A certificate for the lab registry, trusted by buildah for `address` only
    (containers' certs.d), removed at the end: the scripts push over TLS, unchanged."""
    key, cert = lab / "registry.key", lab / "registry.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=multiarch-buildlab",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    created = [d for d in (CERTS_D, CERTS_D / address) if not d.exists()]
    (CERTS_D / address).mkdir(parents=True, exist_ok=True)
    (CERTS_D / address / "ca.crt").write_bytes(cert.read_bytes())
    log.append(f"registry: TLS with a lab certificate, trusted for {address} in {CERTS_D}")
    try:
        yield key, cert
    finally:
        (CERTS_D / address / "ca.crt").unlink(missing_ok=True)
        for d in reversed(created):
            d.rmdir()
        log.append(f"registry: certificate for {address} removed from {CERTS_D}")


@contextmanager
def registry(lab: Path, log: list[str]) -> Iterator[str]:
    """A distribution v2 registry on 127.0.0.1 (TLS), stopped by its PID."""
    port = free_port()
    with trusted_certificate(lab, f"127.0.0.1:{port}", log) as (key, cert), _serve(lab, port, key, cert, log):
        yield f"127.0.0.1:{port}"


@contextmanager
def _serve(lab: Path, port: int, key: Path, cert: Path, log: list[str]) -> Iterator[None]:
    config = lab / "registry.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 0.1,
                "log": {"level": "error"},
                "storage": {"filesystem": {"rootdirectory": str(lab / "registry")}},
                "http": {"addr": f"127.0.0.1:{port}", "tls": {"certificate": str(cert), "key": str(key)}},
            }
        )
    )
    with (lab / "registry.log").open("w") as out:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise LabError(f"the registry did not start: {(lab / 'registry.log').read_text()[-500:]}") from None
                time.sleep(0.1)
        log.append(f"registry: 127.0.0.1:{port} (pid {proc.pid})")
        REGISTRY_PIDS.append(proc.pid)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.append(f"registry: stopped (pid {proc.pid})")


MEDIA_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


class Registry:
    """The lab registry's v2 API, over TLS trusting the lab's certificate only: what a client of the
    pushed images sees, read directly (no tool in between)."""

    def __init__(self, address: str, ca: Path) -> None:
        self.address = address
        self.context = ssl.create_default_context(cafile=str(ca))

    def get(self, repository: str, kind: str, reference: str) -> bytes | None:
        """A manifest or blob, or None when the registry has none."""
        request = urllib.request.Request(
            f"https://{self.address}/v2/{repository}/{kind}/{reference}", headers={"Accept": MEDIA_TYPES}
        )
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def exists(self, image: str) -> bool:
        repository, tag = manifests.reference(image)
        return self.get(repository, "manifests", tag) is not None

    def files(self, repository: str, manifest: Mapping[str, Any]) -> dict[str, bytes]:
        """Every regular file of an image (later layers win), with its first bytes."""
        files: dict[str, bytes] = {}
        for layer in manifest["layers"]:
            blob = self.get(repository, "blobs", layer["digest"]) or b""
            with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        handle = tar.extractfile(member)
                        if handle is not None:
                            files[member.name.lstrip("./")] = handle.read(64)
        return files


def verify(registry: Registry, image: str) -> dict[str, Any]:
    """The pushed tag is an index of exactly linux/amd64 and linux/arm64, each image of its own arch."""
    repository, tag = manifests.reference(image)
    raw = registry.get(repository, "manifests", tag)
    if raw is None:
        raise LabError(f"{image} was not pushed")
    checks = manifests.check_index(image, json.loads(raw))
    # The pin tool (tools/pins.py) on the pushed tag: the digest a stack would pin is the index served.
    try:
        pin = pins.resolve(image)
    except pins.PinError as exc:
        raise LabError(f"the pin tool cannot resolve {image}: {exc}") from None
    served = "sha256:" + hashlib.sha256(raw).hexdigest()
    if pin.digest != served:
        raise LabError(f"the pin tool resolves {image} to {pin.digest}, but the registry serves {served}")
    checks["digest"] = pin.digest
    for m in checks["index"]["manifests"]:
        a = m["platform"]["architecture"]
        manifest = json.loads(registry.get(repository, "manifests", m["digest"]) or b"{}")
        checks["images"][a] = manifests.check_image(a, registry.files(repository, manifest))
    return checks
