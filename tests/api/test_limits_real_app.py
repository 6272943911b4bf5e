"""Query limits of the real app, over HTTP and over WebSocket, against the real schema.

The limits are lowered in these settings so that small documents cross them; the rules
and the schema are the production ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from fiscus.config import Settings
from tests.api.socket_client import Run, signed_up_runner
from tests.conftest import make_settings

LIMITS = {
    "max_depth": 5,
    "max_aliases": 5,
    "max_tokens": 300,
    "max_document_bytes": 3_000,
    "max_cost": 1_000,
}


@pytest.fixture
def limited_settings(database_url, redis_url, redis_prefix, tmp_path) -> Settings:
    return make_settings(database_url, redis_prefix, tmp_path, redis_url=redis_url, graphql=LIMITS)


@pytest.fixture(params=["http", "websocket"])
async def run(request: pytest.FixtureRequest, limited_settings: Settings) -> AsyncIterator[Run]:
    async with signed_up_runner(request.param, limited_settings) as runner:
        yield runner


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def test_depth_is_limited(run: Run) -> None:
    at_limit = await run("{ organization { members { edges { node { role } } } } }", None)
    over = await run("{ organization { members { edges { node { user { email } } } } } }", None)

    assert "errors" not in at_limit, at_limit
    assert codes(over) == ["MAX_DEPTH_EXCEEDED"]
    assert "data" not in over


async def test_aliases_are_counted_through_fragment_spreads(run: Run) -> None:
    query = """
      query { ...Three ...Three }
      fragment Three on Query { a: me { role } b: me { role } c: me { role } }
    """
    assert codes(await run(query, None)) == ["MAX_ALIASES_EXCEEDED"]


async def test_aliases_are_counted_in_inline_fragments(run: Run) -> None:
    query = """{
      ... on Query { a: me { role } b: me { role } c: me { role } }
      ... on Query { d: me { role } e: me { role } f: me { role } }
    }"""
    assert codes(await run(query, None)) == ["MAX_ALIASES_EXCEEDED"]


async def test_aliases_inside_introspection_are_counted(run: Run) -> None:
    aliased = " ".join(f"t{n}: types {{ name }}" for n in range(6))
    allowed = await run("{ __schema { a: types { name } b: queryType { name } } }", None)
    over = await run(f"{{ __schema {{ {aliased} }} }}", None)

    assert allowed["data"]["__schema"]["b"] == {"name": "Query"}
    assert codes(over) == ["MAX_ALIASES_EXCEEDED"]
    assert "data" not in over


async def test_tokens_are_limited(run: Run) -> None:
    body = await run("{ me { role " + "a " * 300 + "} }", None)
    assert "tokens" in body["errors"][0]["message"]
    assert "data" not in body


async def test_document_size_is_limited_before_parsing(run: Run) -> None:
    body = await run("{ me { role } } #" + "x" * 3_000, None)
    assert codes(body) == ["DOCUMENT_TOO_LARGE"]


MEMBER_PAGES = (
    "{ "
    + " ".join(
        f"o{n}: organization {{ members(first: FIRST) {{ edges {{ node {{ role }} }} }} }}"
        for n in range(4)
    )
    + " }"
)


async def test_cost_charges_a_variable_first_at_the_largest_page(run: Run) -> None:
    literal = await run(MEMBER_PAGES.replace("FIRST", "2"), None)
    variable = await run(
        "query($first: Int!) " + MEMBER_PAGES.replace("FIRST", "$first"), {"first": 2}
    )

    assert "errors" not in literal, literal
    assert codes(variable) == ["MAX_COST_EXCEEDED"]
    assert "data" not in variable
