"""GraphiQL's browser assets, fetched from the npm registry at install/build time.

Nothing here is committed to git. ``ensure_assets(dest)`` downloads each pinned tarball,
checks it against the registry's ``dist.integrity`` (sha512), extracts only the files
GraphiQL needs and checks each against its pinned sha256. Files land flat in ``dest``
under versioned names, so they can be cached forever.

    python -m fiscus.transport.assets DEST      # FISCUS_NPM_REGISTRY overrides the registry
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REGISTRY = "https://registry.npmjs.org"
DEFAULT_ASSET_DIR = Path(__file__).resolve().parent / "static"
DOWNLOAD_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class AssetFile:
    member: str
    filename: str
    sha256: str


@dataclass(frozen=True, slots=True)
class NpmPackage:
    name: str
    version: str
    integrity: str
    files: tuple[AssetFile, ...]

    def tarball_url(self, registry: str) -> str:
        basename = self.name.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{basename}-{self.version}.tgz"


REACT = NpmPackage(
    "react",
    "18.3.1",
    "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
    (
        AssetFile(
            "package/umd/react.production.min.js",
            "react-18.3.1.production.min.js",
            "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd",
        ),
    ),
)
REACT_DOM = NpmPackage(
    "react-dom",
    "18.3.1",
    "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
    (
        AssetFile(
            "package/umd/react-dom.production.min.js",
            "react-dom-18.3.1.production.min.js",
            "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d",
        ),
    ),
)
GRAPHIQL = NpmPackage(
    "graphiql",
    "3.8.3",
    "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
    (
        AssetFile(
            "package/graphiql.min.js",
            "graphiql-3.8.3.min.js",
            "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
        ),
        AssetFile(
            "package/graphiql.min.css",
            "graphiql-3.8.3.min.css",
            "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
        ),
    ),
)
GRAPHQL_WS = NpmPackage(
    "graphql-ws",
    "6.4.2",
    "sha512-wxhPhhOGJo8PbGDkBYVE76sZLDrS+GkyrR4bZECSLVbo0pZZNKs0HtBh2Ip/uaUuiVUxwO9ssI9R92buQfNSqQ==",
    (
        AssetFile(
            "package/umd/graphql-ws.min.js",
            "graphql-ws-6.4.2.min.js",
            "5f1e250bdea0a551d58272048281dbf5b2fb69faa120160bab49485c72b6f24d",
        ),
    ),
)
PACKAGES: tuple[NpmPackage, ...] = (REACT, REACT_DOM, GRAPHIQL, GRAPHQL_WS)


class AssetIntegrityError(RuntimeError):
    pass


def ensure_assets(dest: Path, registry: str = DEFAULT_REGISTRY) -> Path:
    """Make ``dest`` hold every pinned asset; downloads only what is missing or altered."""
    dest.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        missing = [f for f in package.files if not _is_valid(dest / f.filename, f.sha256)]
        if missing:
            _install(package, missing, dest, registry)
    return dest


def assets_present(dest: Path) -> bool:
    return all(
        _is_valid(dest / f.filename, f.sha256) for package in PACKAGES for f in package.files
    )


def _is_valid(path: Path, sha256: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _install(package: NpmPackage, files: list[AssetFile], dest: Path, registry: str) -> None:
    tarball = _download(package.tarball_url(registry))
    _verify_integrity(package, tarball)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for asset in files:
            content = _read_member(archive, asset.member)
            if hashlib.sha256(content).hexdigest() != asset.sha256:
                raise AssetIntegrityError(
                    f"{package.name}@{package.version}: {asset.member} does not match its "
                    "pinned sha256"
                )
            _write_atomically(dest / asset.filename, content)


def _download(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"Refusing to download from {url!r}: not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "fiscus-assets"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:  # noqa: S310
        body: bytes = response.read()
    return body


def _verify_integrity(package: NpmPackage, tarball: bytes) -> None:
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode("ascii")
    if digest != expected:
        raise AssetIntegrityError(
            f"{package.name}@{package.version}: tarball does not match {package.integrity}"
        )


def _read_member(archive: tarfile.TarFile, member: str) -> bytes:
    extracted = archive.extractfile(member)
    if extracted is None:
        raise AssetIntegrityError(f"{member} is not a regular file in the tarball")
    with extracted:
        return extracted.read()


def _write_atomically(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(content)
    Path(handle.name).chmod(0o644)
    Path(handle.name).replace(path)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dest = Path(args[0]) if args else DEFAULT_ASSET_DIR
    registry = os.environ.get("FISCUS_NPM_REGISTRY", DEFAULT_REGISTRY)
    ensure_assets(dest, registry)
    print(f"GraphiQL assets ready in {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
