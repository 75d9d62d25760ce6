"""The lab registries: distribution v2 registries on 127.0.0.1 over TLS with a lab certificate
trusted for their address only, one of them behind a login (htpasswd, as Harbor or Docker Hub
ask for one), each stopped by its PID; their v2 API read directly (`Registry`); and a pushed tag
verified (`verify`: the checks of `manifests`; `platforms`: any index's).
"""

from __future__ import annotations

import base64
import crypt
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


def certificate(lab: Path, address: str) -> Path:
    """The lab certificate of the registry at `address` (its CA, for a client)."""
    return lab / f"registry-{address.rsplit(':', 1)[1]}.crt"


@contextmanager
def trusted_certificate(lab: Path, address: str, log: list[str]) -> Iterator[tuple[Path, Path]]:
    """A certificate for the lab registry, trusted by buildah for `address` only
    (containers' certs.d), removed at the end: the scripts push over TLS, unchanged."""
    key, cert = certificate(lab, address).with_suffix(".key"), certificate(lab, address)
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
def registry(lab: Path, log: list[str], login: tuple[str, str] | None = None) -> Iterator[str]:
    """A distribution v2 registry on 127.0.0.1 (TLS), stopped by its PID; with `login` (user,
    password), one that refuses anyone else (htpasswd)."""
    port = free_port()
    with trusted_certificate(lab, f"127.0.0.1:{port}", log) as (key, cert), _serve(lab, port, key, cert, log, login):
        yield f"127.0.0.1:{port}"


def _htpasswd(path: Path, user: str, password: str) -> None:
    """distribution's htpasswd file: bcrypt only (the C library's, through `crypt`), at its lowest
    cost: the registry checks it on every request, and a push makes hundreds."""
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    if not hashed or not hashed.startswith("$2"):
        raise LabError("this machine's crypt(3) has no bcrypt: the lab's login registry needs it", exit_code=2)
    path.write_text(f"{user}:{hashed}\n")


@contextmanager
def _serve(
    lab: Path, port: int, key: Path, cert: Path, log: list[str], login: tuple[str, str] | None
) -> Iterator[None]:
    name = f"registry-{port}"
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(lab / name)}},
        "http": {"addr": f"127.0.0.1:{port}", "tls": {"certificate": str(cert), "key": str(key)}},
    }
    if login is not None:
        _htpasswd(lab / f"{name}.htpasswd", *login)
        config["auth"] = {"htpasswd": {"realm": "multiarch-lab", "path": str(lab / f"{name}.htpasswd")}}
    (lab / f"{name}.yml").write_text(yaml.safe_dump(config))
    with (lab / f"{name}.log").open("w") as out:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(lab / f"{name}.yml")], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise LabError(f"the registry did not start: {(lab / f'{name}.log').read_text()[-500:]}") from None
                time.sleep(0.1)
        log.append(f"registry: 127.0.0.1:{port} (pid {proc.pid}){' with a login' if login else ''}")
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

    def __init__(self, address: str, ca: Path, login: tuple[str, str] | None = None) -> None:
        self.address = address
        self.context = ssl.create_default_context(cafile=str(ca))
        self.headers = {"Accept": MEDIA_TYPES}
        if login is not None:
            self.headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()

    def get(self, repository: str, kind: str, reference: str) -> bytes | None:
        """A manifest or blob, or None when the registry has none."""
        return self._get(f"{repository}/{kind}/{reference}")

    def _get(self, path: str) -> bytes | None:
        request = urllib.request.Request(f"https://{self.address}/v2/{path}", headers=self.headers)
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

    def repositories(self) -> list[str]:
        """Every repository the registry holds."""
        return sorted(json.loads(self._get("_catalog?n=1000") or b"{}").get("repositories") or [])

    def tags(self, repository: str) -> list[str]:
        """The repository's tags (none: it does not exist)."""
        return sorted(json.loads(self._get(f"{repository}/tags/list") or b"{}").get("tags") or [])

    def config(self, repository: str, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """An image's config (its architecture, labels...)."""
        body = self.get(repository, "blobs", manifest["config"]["digest"])
        config: dict[str, Any] = json.loads(body or b"{}")
        return config

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


def platforms(registry: Registry, image: str) -> dict[str, Any]:
    """Any pushed index, as a client sees it: its platforms, each image's config architecture and
    labels, and its files' first bytes. None of it checked: the caller says what it expects."""
    repository, tag = manifests.reference(image)
    raw = registry.get(repository, "manifests", tag)
    if raw is None:
        return {"image": image, "pushed": False}
    index = json.loads(raw)
    out: dict[str, Any] = {"image": image, "pushed": True, "mediaType": index.get("mediaType"), "images": {}}
    for m in index.get("manifests") or []:
        platform = f"{m['platform']['os']}/{m['platform']['architecture']}"
        manifest = json.loads(registry.get(repository, "manifests", m["digest"]) or b"{}")
        config = registry.config(repository, manifest)
        files = registry.files(repository, manifest)
        out["images"][platform] = {
            "architecture": config.get("architecture"),
            "labels": (config.get("config") or {}).get("Labels") or {},
            "files": {n: data.decode(errors="replace") for n, data in files.items() if not n.startswith("bin")},
        }
    out["platforms"] = sorted(out["images"])
    return out


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
