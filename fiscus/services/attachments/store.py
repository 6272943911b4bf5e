"""Object storage for receipts: an interface, and the filesystem implementation used by
default (under ``<data_dir>/attachments``).

An S3-compatible implementation is not provided: no S3 client library is in the lock. One
would implement ``ObjectStore`` (``put`` / ``open`` / ``delete`` on opaque keys) and be
chosen by configuration; nothing else changes, since keys never derive from client input
and every read goes through the organization's attachment row first.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

_CHUNK = 64 * 1024


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...


class FilesystemStore:
    """Keys are ``<org id>/<attachment id>``, both UUIDs made by the server."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key outside the store")
        return path

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, _CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
