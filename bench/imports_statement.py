"""Importing a large bank statement end to end while the API answers.

A 100,000-line checking statement (Chase's CSV layout, synthetic household lines with
store numbers, card dates, processor prefixes, identical same-day pairs, running balances)
is uploaded through the service and imported by the import job's code in this process (the
worker's role): parse, dedupe keys, payee cleansing, 50 categorization rules (18 that never
match first, so every line is tried against many), suggestions (none: no model yet), then
the one-transaction write of lines, draft entries and row outcomes. A separate
`fiscus serve` answers `/health`, polled every 20 ms by another process, idle and during
the import. The same file is then imported again (every line a duplicate).

Next to it, in the same run, the floor: parsing alone, and asyncpg COPY of as many rows into
tables shaped like bank_lines and journal_entries (no dedupe, categorization, audit or
outcomes).

    PYTHONPATH=. python bench/imports_statement.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
from harness import (  # type: ignore[import-not-found]
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)
from price_refresh import latencies_of, poll_health, summary  # type: ignore[import-not-found]
from sqlalchemy import make_url

from fiscus.config import with_jwt_secret
from fiscus.domain.categorization import (
    AmountCondition,
    Direction,
    RuleActions,
    RuleConditions,
    TextCondition,
    TextField,
    TextOperator,
)
from fiscus.domain.imports import parse_statement
from fiscus.domain.imports.samples import chase_checking_csv, sample_lines
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.categorization import rules
from fiscus.services.categorization.rules import RuleSpec
from fiscus.services.identity.auth import sign_up
from fiscus.services.imports import running, statements
from fiscus.services.ledger import accounts

# (condition text, category code): one rule per merchant of the sample statement.
MERCHANTS = (
    ("WHOLEFDS", "5100"),
    ("TRADER JOE", "5100"),
    ("SAFEWAY", "5100"),
    ("KROGER", "5100"),
    ("FARMERS MARKET", "5100"),
    ("SHELL OIL", "5200"),
    ("CHEVRON", "5200"),
    ("UBER", "5200"),
    ("LYFT", "5200"),
    ("CLIPPER", "5200"),
    ("CVS", "5300"),
    ("WALGREENS", "5300"),
    ("BLUE BOTTLE", "5400"),
    ("STARBUCKS", "5400"),
    ("PIZZERIA", "5400"),
    ("DOORDASH", "5400"),
    ("AMC THEATRES", "5400"),
    ("HOME DEPOT", "5900"),
    ("EBAY", "5900"),
    ("OAKWOOD", "5010"),
    ("CITY LIGHT", "5020"),
    ("COMCAST", "5020"),
    ("NETFLIX", "5400"),
    ("SPOTIFY", "5400"),
    ("PLANET FITNESS", "5300"),
    ("GEICO", "5200"),
    ("PAYROLL", "4000"),
    ("INTEREST", "4100"),
    ("TRANSFER TO SAV", "1020"),
)


def rule_specs(chart: dict[str, uuid.UUID]) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for i in range(18):  # never match: every line is tried against these first
        condition = (
            TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, rf"^NEVER-{i}\d+ (A|B)+$")
            if i % 3 == 0
            else TextCondition(TextField.PAYEE, TextOperator.CONTAINS, f"NO SUCH SHOP {i}")
        )
        specs.append(
            RuleSpec(f"Never {i}", RuleConditions(text=(condition,)), RuleActions(chart["5900"]))
        )
    specs.append(
        RuleSpec(
            "Big spending",
            RuleConditions(amount=AmountCondition(min=Decimal(5000), direction=Direction.OUTFLOW)),
            RuleActions(chart["5900"]),
        )
    )
    specs.append(
        RuleSpec(
            "Amazon",
            RuleConditions(
                text=(TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, r"AMAZON|AMZN"),)
            ),
            RuleActions(chart["5900"]),
        )
    )
    specs.append(
        RuleSpec(
            "Target",
            RuleConditions(
                text=(TextCondition(TextField.PAYEE, TextOperator.STARTS_WITH, "TARGET"),)
            ),
            RuleActions(chart["5900"]),
        )
    )
    for text, code in MERCHANTS:
        specs.append(
            RuleSpec(
                f"{text.title()}",
                RuleConditions(
                    text=(TextCondition(TextField.DESCRIPTION, TextOperator.CONTAINS, text),)
                ),
                RuleActions(chart[code]),
            )
        )
    return specs[:50]


async def floor(database_url: str, lines: int) -> float:
    """COPY seconds for as many line and entry rows, no checks."""
    plain = (
        make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(
            "CREATE UNLOGGED TABLE floor_lines (LIKE bank_lines INCLUDING DEFAULTS);"
            "CREATE UNLOGGED TABLE floor_entries (LIKE journal_entries INCLUDING DEFAULTS)"
        )
        org, account, import_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        today = date(2026, 1, 1)
        line_rows = [
            (
                org,
                uuid.uuid4(),
                account,
                import_id,
                f"fp:{i}:1",
                today,
                Decimal("-4.50"),
                "USD",
                "SQ *BLUE BOTTLE COFFEE",
                "Blue Bottle Coffee",
                "uncategorized",
            )
            for i in range(lines)
        ]
        entry_rows = [
            (
                org,
                uuid.uuid4(),
                today,
                "Blue Bottle Coffee",
                "draft",
                json.dumps([{"line_no": 0, "amount": "-4.50"}, {"line_no": 1, "amount": "4.50"}]),
            )
            for _ in range(lines)
        ]
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "floor_lines",
            records=line_rows,
            columns=[
                "org_id",
                "id",
                "account_id",
                "import_id",
                "dedupe_key",
                "line_date",
                "amount",
                "currency",
                "description",
                "payee",
                "category_source",
            ],
        )
        await connection.copy_records_to_table(
            "floor_entries",
            records=entry_rows,
            columns=["org_id", "id", "entry_date", "memo", "status", "draft_lines"],
        )
        copied = time.perf_counter() - started
    finally:
        await connection.close()
    return copied


async def main(count: int) -> None:
    async with scratch("imports") as (database, prefix):
        data_dir = Path(tempfile.mkdtemp())
        settings = with_jwt_secret(bench_settings(database, prefix, data_dir))
        await asyncio.to_thread(upgrade, settings)
        port = free_port()
        server = start_server(settings, port)
        try:
            await wait_ready(server, f"http://127.0.0.1:{port}")
            await run(settings, count, port)
        finally:
            server.terminate()
            server.wait(30)


async def run(settings, count: int, port: int) -> None:  # type: ignore[no-untyped-def]
    health = f"http://127.0.0.1:{port}/health"
    runtime = await Runtime.open(settings)
    try:
        account = await sign_up(
            runtime.identity,
            email="bench@bench.example",
            password="bench-password-123",
            display_name="Bench",
            organization_name="Bench Org",
        )
        owner = runtime.identity.tokens.decode(account.access_token)
        chart = {
            a.code: a.id
            for a in await accounts.apply_account_template(
                runtime.ledger, owner, template="household", currency="USD"
            )
        }
        for spec in rule_specs(chart):
            await rules.create_rule(runtime.categorization, owner, spec)
        data = chase_checking_csv(sample_lines(date(2024, 1, 1), count, seed=42))

        started = time.perf_counter()
        parsed = await asyncio.to_thread(parse_statement, data)
        parse_seconds = time.perf_counter() - started

        idle = await asyncio.to_thread(latencies_of, poll_health(health, 3.0))
        poller = poll_health(health, 900.0)
        timings = []
        outcomes = []
        for round_name in ("first import", "same file again"):
            with count_statements() as log:
                started = time.perf_counter()
                upload = await statements.start_import(
                    runtime.imports,
                    owner,
                    account_id=chart["1010"],
                    upload=statements.Upload(data, "bench.csv"),
                    enqueue=False,
                )
                done = await running.run_import(runtime.imports, owner.org_id, upload.id)
                timings.append((round_name, time.perf_counter() - started, log.count))
            outcomes.append(done)
        poller.terminate()
        out, _ = poller.communicate(timeout=30)
        busy = json.loads(out) if out.strip() else []
        assert settings.database.url is not None
        copied = await floor(settings.database.url.get_secret_value(), len(parsed.lines))
    finally:
        await runtime.close()
    print(
        f"imports_statement: {len(data) / 1e6:.1f} MB Chase checking CSV, {count:,} lines, "
        f"50 rules; this process as the worker, `fiscus serve` for /health"
    )
    for (name, seconds, statements_count), done in zip(timings, outcomes, strict=True):
        print(
            f"  {name:16} {seconds:6.1f} s end to end ({count / seconds:,.0f} lines/s), "
            f"created {done.created:,}, duplicates {done.duplicates:,}, skipped {done.skipped}, "
            f"failed {done.failed}; {statements_count} SQL statements (target: under 30 s)"
        )
    print(
        f"  floor: parse only {parse_seconds:6.1f} s; COPY of {len(parsed.lines):,} line + "
        f"{len(parsed.lines):,} entry rows {copied:.1f} s"
    )
    print(f"  /health, idle       {summary(idle)}")
    print(f"  /health, importing  {summary(busy)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.lines))
