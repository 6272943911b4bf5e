"""Importing statements into the ledger through the service layer, against the real
database: drafts against Uncategorized, idempotent re-imports and overlaps (identical
same-day lines kept), bad rows kept out while good rows go in, file-level failures, OFX
dedupe by FITID."""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg
import pytest

from fiscus.domain.imports.records import ImportStatus
from fiscus.services.imports import running
from tests.conftest import _plain
from tests.services.imports_fixtures import fixture, household, import_bytes


@pytest.fixture
async def owner(database_url: str):
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


async def test_a_statement_becomes_draft_entries_against_uncategorized(runtime, owner):
    h = await household(runtime)
    checking = h.codes["1010"]
    done = await import_bytes(runtime, h.principal, checking, fixture("chase_checking.csv"))
    assert done.status is ImportStatus.DONE
    assert (done.rows, done.created, done.duplicates, done.skipped, done.failed) == (8, 7, 0, 1, 0)
    assert done.format == "chase_checking"
    assert done.ending_balance is not None and done.ending_balance.amount == Decimal("2311.14")
    lines = await owner.fetch(
        "SELECT b.payee, b.amount, b.pending, b.category_source, e.status, e.draft_lines, "
        "a.code FROM bank_lines b JOIN journal_entries e ON e.id = b.entry_id "
        "JOIN ledger_accounts a ON a.id = b.category_account_id "
        "WHERE b.org_id = $1 ORDER BY b.line_date, b.payee",
        h.principal.org_id,
    )
    assert [(r["payee"], str(r["amount"]), r["code"]) for r in lines] == [
        ("Pizzeria Napoli", "-34.5600", "UNCAT-USD"),
        ("Check 1001", "-100.0000", "UNCAT-USD"),
        ("Amazon", "-14.9900", "UNCAT-USD"),
        ("Acme Corp Payroll", "2000.0000", "UNCAT-USD"),
        ("Blue Bottle Coffee", "-4.5000", "UNCAT-USD"),
        ("Blue Bottle Coffee", "-4.5000", "UNCAT-USD"),  # the identical pair: both kept
        ("Starbucks", "-5.7500", "UNCAT-USD"),
    ]
    assert all(r["status"] == "draft" for r in lines)
    assert [r["pending"] for r in lines] == [False] * 6 + [True]
    first = json.loads(lines[0]["draft_lines"])
    assert [(x["account_id"], x["amount"]) for x in first] == [
        (str(checking), "-34.5600"),
        (first[1]["account_id"], "34.5600"),
    ]
    rows = await owner.fetch(
        "SELECT line_no, outcome, code FROM bank_import_rows WHERE import_id = $1 ORDER BY 1",
        done.id,
    )
    assert [(r["line_no"], r["outcome"], r["code"]) for r in rows] == [
        (2, "created", None),
        (3, "created", None),
        (4, "created", None),
        (5, "created", None),
        (6, "created", None),
        (7, "skipped", "ZERO_AMOUNT"),
        (8, "created", None),
        (9, "created", None),
    ]
    events = await owner.fetch(
        "SELECT action FROM audit_events WHERE org_id = $1 AND subject_type = 'bank_import' "
        "ORDER BY occurred_at",
        h.principal.org_id,
    )
    assert [e["action"] for e in events] == [
        "imports.statement_uploaded",
        "imports.statement_imported",
    ]


async def test_re_importing_the_same_file_creates_nothing(runtime, owner):
    h = await household(runtime)
    checking = h.codes["1010"]
    await import_bytes(runtime, h.principal, checking, fixture("chase_checking.csv"))
    again = await import_bytes(runtime, h.principal, checking, fixture("chase_checking.csv"))
    assert (again.created, again.duplicates, again.skipped) == (0, 7, 1)
    count = await owner.fetchval(
        "SELECT count(*) FROM journal_entries WHERE org_id = $1", h.principal.org_id
    )
    assert count == 7
    # Another account may hold the very same lines: keys are per account.
    savings = await import_bytes(
        runtime, h.principal, h.codes["1020"], fixture("chase_checking.csv")
    )
    assert savings.created == 7


def chase(*rows: str) -> bytes:
    header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


COFFEE = 'DEBIT,09/29/2026,"SQ *BLUE BOTTLE COFFEE",-4.50,DEBIT_CARD,,,'
RENT = 'DEBIT,09/01/2026,"RENT",-1850.00,ACH_DEBIT,,,'
PAY = 'CREDIT,09/15/2026,"PAYROLL",2000.00,ACH_CREDIT,,,'


async def test_overlapping_files_create_exactly_the_difference_and_keep_identical_pairs(
    runtime,
):
    h = await household(runtime)
    checking = h.codes["1010"]
    first = await import_bytes(runtime, h.principal, checking, chase(COFFEE, COFFEE, RENT))
    assert first.created == 3
    # The next month's file repeats both coffees and the rent, adds a third coffee and pay.
    second = await import_bytes(
        runtime, h.principal, checking, chase(PAY, COFFEE, COFFEE, COFFEE, RENT)
    )
    assert (second.created, second.duplicates) == (2, 3)
    # A file with one of the coffees only creates nothing.
    third = await import_bytes(runtime, h.principal, checking, chase(COFFEE))
    assert (third.created, third.duplicates) == (0, 1)


async def test_a_pending_line_is_not_imported_again_once_it_posts(runtime):
    h = await household(runtime)
    checking = h.codes["1010"]
    pending = 'DEBIT,09/30/2026,"STARBUCKS STORE 12345",-5.75,DEBIT_CARD,,,'
    posted = 'DEBIT,09/30/2026,"STARBUCKS STORE 12345",-5.75,DEBIT_CARD,1200.00,,'
    await import_bytes(runtime, h.principal, checking, chase(pending))
    again = await import_bytes(runtime, h.principal, checking, chase(posted))
    assert (again.created, again.duplicates) == (0, 1)


async def test_bad_rows_are_reported_and_the_good_rows_imported(runtime, owner):
    h = await household(runtime)
    done = await import_bytes(runtime, h.principal, h.codes["2000"], fixture("chase_card.csv"))
    assert (done.created, done.failed) == (4, 2)
    failed = await owner.fetch(
        "SELECT line_no, code, field, message FROM bank_import_rows "
        "WHERE import_id = $1 AND outcome = 'failed' ORDER BY line_no",
        done.id,
    )
    assert [(r["line_no"], r["code"], r["field"]) for r in failed] == [
        (5, "INVALID", "Amount"),
        (6, "INVALID", "Transaction Date"),
    ]
    assert "'-12.3O' is not an amount" in failed[0]["message"]


async def test_an_unreadable_file_fails_the_import_with_its_reason(runtime):
    h = await household(runtime)
    done = await import_bytes(runtime, h.principal, h.codes["1010"], b"a,b,c\n1,2,3\n")
    assert done.status is ImportStatus.FAILED
    assert done.failure is not None and done.failure.field == "format"
    # The job is idempotent: running it again answers the failed import as it is.
    again = await running.run_import(runtime.imports, h.principal.org_id, done.id)
    assert again.status is ImportStatus.FAILED and again.finished_at == done.finished_at


async def test_ofx_lines_are_deduplicated_by_fitid(runtime):
    h = await household(runtime)
    checking = h.codes["1010"]
    first = await import_bytes(runtime, h.principal, checking, fixture("bank_sgml.ofx"))
    assert (first.created, first.failed) == (3, 1)
    renamed = fixture("bank_sgml.ofx").replace(b"ACME CORP PAYROLL", b"ACME PAYROLL INC")
    again = await import_bytes(runtime, h.principal, checking, renamed)
    assert (again.created, again.duplicates) == (0, 3)


async def test_a_statement_in_another_currency_is_refused(runtime):
    h = await household(runtime, currency="EUR")
    done = await import_bytes(runtime, h.principal, h.codes["1010"], fixture("card_xml.ofx"))
    assert done.status is ImportStatus.FAILED
    assert done.failure is not None and done.failure.code == "CURRENCY_MISMATCH"


async def test_an_imported_draft_posts_through_the_ledger(runtime, owner):
    from fiscus.services.ledger import posting, queries

    h = await household(runtime)
    checking = h.codes["1010"]
    await import_bytes(runtime, h.principal, checking, chase(PAY))
    entry_id = await owner.fetchval(
        "SELECT entry_id FROM bank_lines WHERE org_id = $1", h.principal.org_id
    )
    posted = await posting.post_draft_entry(
        runtime.ledger, h.principal, entry_id, idempotency_key="post-1"
    )
    assert posted.entry.status.value == "posted"
    from datetime import date

    balances = await queries.balances_as_of(
        runtime.ledger, h.principal, [checking], date(2026, 12, 31)
    )
    assert balances[checking] == Decimal("2000")


async def test_a_file_of_bad_rows_only_imports_nothing_and_reports_every_row(runtime, owner):
    h = await household(runtime)
    data = (
        b"Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n"
        b"09/01/2026,09/02/2026,A,,Sale,-1.O0,\n"
        b"09/02/2026,09/02/2026,B,,Sale,0.00,\n"
    )
    done = await import_bytes(runtime, h.principal, h.codes["2000"], data)
    assert (done.status, done.created, done.failed, done.skipped) == (ImportStatus.DONE, 0, 1, 1)
    outcomes = await owner.fetch(
        "SELECT line_no, outcome FROM bank_import_rows WHERE import_id = $1 ORDER BY 1", done.id
    )
    assert [(r["line_no"], r["outcome"]) for r in outcomes] == [(2, "failed"), (3, "skipped")]
