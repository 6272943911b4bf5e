"""Statements per request stay constant as instruments and prices grow."""

from __future__ import annotations

from tests.api.test_marketdata import RECORD, create_house
from tests.api.test_query_counts import statements_for
from tests.graphql_client import gql, sign_up
from tests.persistence.test_marketdata_reads import insert_global

PAGE = """{ instruments(first: 100) { edges { node { symbol isManual
  latestPrice { close asOf isStale } } } } }"""


async def add_instruments(client, token: str, database_url: str, start: int, count: int) -> None:
    for n in range(start, start + count):
        await insert_global(database_url, f"SYM{n:03d}")
        await create_house(client, token, f"HOUSE{n:03d}")
        await gql(
            client,
            RECORD,
            {
                "input": {
                    "symbol": f"HOUSE{n:03d}",
                    "prices": [{"date": "2024-01-02", "close": "1"}],
                }
            },
            token=token,
        )


async def test_instruments_with_latest_prices_use_a_constant_number_of_statements(
    client, database_url
):
    owner = await sign_up(client, "owner@example.com")
    await add_instruments(client, owner.token, database_url, 0, 2)
    few = await statements_for(client, PAGE, owner.token)
    await add_instruments(client, owner.token, database_url, 2, 20)
    many = await statements_for(client, PAGE, owner.token)
    assert few == many
    # begin (with the tenant context), access check, the page, latest closes of the
    # global instruments and of the manual ones.
    assert many == 5
