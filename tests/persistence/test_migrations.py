"""Migrations are reviewed code: one head, and nothing in the models they leave out."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from fiscus.config import Settings
from fiscus.persistence.database import owner_url
from fiscus.persistence.migrate import alembic_config
from fiscus.persistence.models import Base
from tests.conftest import _plain, migrations_serialized


def test_there_is_one_head(settings: Settings) -> None:
    heads = ScriptDirectory.from_config(alembic_config(settings)).get_heads()
    assert len(heads) == 1, heads


async def _differences(database_url: str) -> list[Any]:
    engine = create_async_engine(owner_url(database_url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_autogenerate_finds_no_difference_from_the_models(database_url: str) -> None:
    assert await _differences(database_url) == []


async def test_the_newest_migration_downgrades_and_upgrades_again(
    settings: Settings, database_url: str, services: tuple[str, str]
) -> None:
    config = alembic_config(settings)

    def down_and_up() -> None:
        with migrations_serialized(_plain(services[0])):
            command.downgrade(config, "-1")
            command.upgrade(config, "head")

    await asyncio.to_thread(down_and_up)
    assert await _differences(database_url) == []
