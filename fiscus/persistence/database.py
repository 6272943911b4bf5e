"""Engines and session factories.

Two roles: the *owner* URL (``settings.database.url``) runs migrations; the API and workers
connect as the *app* role (``settings.database.app_user``), which owns no table and is
subject to row-level security.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from fiscus.config import DatabaseSettings


def owner_url(url: str) -> URL:
    """The owner URL in the asyncpg dialect."""
    return make_url(url).set(drivername="postgresql+asyncpg")


def app_url(settings: DatabaseSettings) -> URL:
    if settings.url is None:
        raise RuntimeError("database.url is not set (embedded services not started?)")
    return owner_url(settings.url.get_secret_value()).set(
        username=settings.app_user, password=settings.app_password.get_secret_value()
    )


def sync_owner_url(url: str) -> str:
    """A URL for alembic's synchronous engine (psycopg is not a dependency: we run alembic
    over asyncpg with ``run_sync``)."""
    return owner_url(url).render_as_string(hide_password=False)


@dataclass
class Database:
    """The ORM engine serves units of work (writes); ``read_pool``, a plain asyncpg pool
    on the same app role, serves the read path (``fiscus.persistence.reads``)."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_pool: asyncpg.Pool | None = field(default=None)
    write_pool: asyncpg.Pool | None = field(default=None)

    @classmethod
    def connect(cls, settings: DatabaseSettings, *, url: URL | None = None) -> Database:
        engine = create_async_engine(
            url or app_url(settings),
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_pre_ping=True,
            echo=settings.echo,
            connect_args={
                "server_settings": {
                    "statement_timeout": str(settings.statement_timeout_ms),
                    "application_name": "fiscus",
                }
            },
        )
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))

    async def open_read_pool(self, settings: DatabaseSettings) -> asyncpg.Pool:
        if self.read_pool is None:
            self.read_pool = await self._open_pool(
                settings, settings.read_pool_size, "fiscus-reads"
            )
        return self.read_pool

    async def open_write_pool(self, settings: DatabaseSettings) -> asyncpg.Pool:
        """asyncpg on the app role for writes that are one statement (``uow.statements``)."""
        if self.write_pool is None:
            self.write_pool = await self._open_pool(
                settings, settings.write_pool_size, "fiscus-writes"
            )
        return self.write_pool

    async def _open_pool(
        self, settings: DatabaseSettings, size: int, application_name: str
    ) -> asyncpg.Pool:
        from fiscus.persistence.asyncpg_pools import open_pool

        url = self.engine.url.set(drivername="postgresql")
        return await open_pool(
            url.render_as_string(hide_password=False),
            size=size,
            statement_timeout_ms=settings.statement_timeout_ms,
            application_name=application_name,
        )

    async def dispose(self) -> None:
        for name in ("read_pool", "write_pool"):
            pool = getattr(self, name)
            if pool is not None:
                setattr(self, name, None)
                await pool.close()
        await self.engine.dispose()
