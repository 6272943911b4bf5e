"""SQL statements per backtests request stay constant as runs grow: the list is one page
statement, creators one loader statement, every run's series one loader statement."""

from __future__ import annotations

import asyncpg

from fiscus.persistence.statements import count_statements
from fiscus.workers.settings import run_worker
from tests.api.backtest_operations import run_backtest
from tests.api.test_backtests import seed
from tests.api.test_tenant_isolation import raw_uuid
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up

LIST = """{ backtests(first: 20) { edges { node { id name status createdBy { email }
  strategies { name metrics { twr } } } } } }"""
CURVES = """{ backtests(first: 15) { edges { node { id
  strategy(index: 0) { tradeCount equityCurve(interval: MONTH) { date value } } } } } }"""


async def copies(database_url: str, backtest_id: str, count: int) -> None:
    """Bulk rows straight into the table as the owner: the API is not under test here."""
    connection = await asyncpg.connect(_plain(database_url))
    try:
        await connection.execute(
            "INSERT INTO backtests (org_id, id, name, status, request_hash, request, progress,"
            " summary, series, error, created_by, created_at, started_at, finished_at)"
            " SELECT org_id, gen_random_uuid(), name || n, status,"
            " left(request_hash, 56) || lpad(n::text, 8, '0'), request,"
            " progress, summary, series, error, created_by, created_at + n * interval '1 s',"
            " started_at, finished_at FROM backtests, generate_series(1, $2) AS n"
            " WHERE id = $1",
            raw_uuid(backtest_id),
            count,
        )
    finally:
        await connection.close()


async def statements_for(client, query: str, token: str) -> int:
    with count_statements() as log:
        body = await gql(client, query, token=token)
    assert "errors" not in body, body
    return log.count


async def test_backtests_use_a_constant_number_of_statements(client, database_url, settings):
    await seed(database_url)
    owner = await sign_up(client, "owner@example.com")
    run = await run_backtest(client, owner.token)
    await run_worker(settings, burst=True)
    await copies(database_url, run["backtest"]["id"], 2)
    few_list = await statements_for(client, LIST, owner.token)
    few_curves = await statements_for(client, CURVES, owner.token)
    await copies(database_url, run["backtest"]["id"], 17)
    many_list = await statements_for(client, LIST, owner.token)
    many_curves = await statements_for(client, CURVES, owner.token)
    assert (few_list, few_curves) == (many_list, many_curves)
    # Pinned. The read transaction begun with the tenant context (1); the access check, which
    # also primes the caller -- here every run's creator -- into the users loader (1); the
    # page (1); for the curves, the series of every run on the page, one loader statement (1).
    assert many_list == 3
    assert many_curves == 4
