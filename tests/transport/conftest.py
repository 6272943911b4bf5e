from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from fiscus.transport.assets import ensure_assets
from tests.transport.toy_app import LiveServer, build_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def production_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(production=True, graphiql=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture(scope="session")
def asset_dir(request: pytest.FixtureRequest) -> Path:
    return ensure_assets(request.config.cache.mkdir("graphiql-assets"))


@pytest.fixture
def live_server(asset_dir: Path) -> Iterator[LiveServer]:
    with LiveServer(build_app(asset_dir=asset_dir)) as server:
        yield server
