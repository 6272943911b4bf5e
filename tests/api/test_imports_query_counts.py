"""The bank import lists cost a constant number of SQL statements as rows grow: imports
with their account and problems, bank lines with their category, entry and suggestion."""

from __future__ import annotations

from datetime import date

from fiscus.domain.imports.samples import chase_checking_csv, sample_lines
from tests.api.imports_client import chart, import_statement, run_jobs
from tests.api.test_query_counts import statements_for
from tests.graphql_client import sign_up

IMPORTS = """{ imports(first: 20) { edges { node { id status created account { code }
  problems { line code } } } } }"""
LINES = """{ bankLines(first: 50) { edges { node { payee amount category { code }
  entry { status } suggestion { confidence } } } } }"""


async def test_imports_and_bank_lines_cost_constant_statements(client, settings):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner.token)
    lines = sample_lines(date(2025, 1, 1), 200, seed=3)
    await import_statement(
        client, owner.token, {"accountId": codes["1010"]}, chase_checking_csv(lines[:4])
    )
    await run_jobs(settings)
    few_imports = await statements_for(client, IMPORTS, owner.token)
    few_lines = await statements_for(client, LINES, owner.token)
    for account, start in (("1020", 4), ("2000", 60), ("1010", 120)):
        await import_statement(
            client,
            owner.token,
            {"accountId": codes[account]},
            chase_checking_csv(lines[start : start + 60]),
        )
    await run_jobs(settings)
    many_imports = await statements_for(client, IMPORTS, owner.token)
    many_lines = await statements_for(client, LINES, owner.token)
    assert few_imports == many_imports
    assert few_lines == many_lines
    # begin, access check, imports page, accounts loader, problems loader.
    assert many_imports == 5
    # begin, access check, lines page, accounts loader (categories), entries loader.
    assert many_lines == 5
