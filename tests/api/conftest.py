"""The real application under a real uvicorn server, for tests that need real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from fiscus.app import create_app
from fiscus.config import Settings
from tests.live_server import LiveServer


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings), lifespan="on", ws="websockets-sansio") as server:
        yield server


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url) as client:
        yield client
