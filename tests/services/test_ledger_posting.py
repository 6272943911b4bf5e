"""Posting, drafts, reversals, periods, assertions and idempotency through the service
layer, against the real database."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from fiscus.domain.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.ledger import EntryStatus
from fiscus.services.ledger import accounts, periods, posting, queries
from fiscus.services.ledger.posting import LineInput
from tests.services.ledger_fixtures import books, pair, post

JAN = date(2026, 1, 15)


async def _balance(runtime, principal, account_id, day=date(2030, 1, 1)):
    found = await queries.balances_as_of(runtime.ledger, principal, [account_id], day)
    return found[account_id]


async def test_templates_are_idempotent_and_build_a_tree(runtime):
    b = await books(runtime)
    again = await accounts.apply_account_template(
        runtime.ledger, b.principal, template="household", currency="EUR"
    )
    assert len(again) == len(b.codes) == 19
    checking = next(a for a in again if a.code == "1010")
    assert checking.parent_id == b.codes["1000"]


async def test_a_balanced_entry_posts_and_moves_balances(runtime):
    b = await books(runtime)
    posted = await post(
        runtime,
        b.principal,
        pair(b.codes["1010"], b.codes["4000"], "2500.00"),
        key="k1",
        memo="Salary",
    )
    assert posted.entry.status is EntryStatus.POSTED and not posted.replayed
    assert await _balance(runtime, b.principal, b.codes["1010"]) == Decimal("2500")
    assert await _balance(runtime, b.principal, b.codes["4000"]) == Decimal("-2500")
    assert await _balance(runtime, b.principal, b.codes["1010"], date(2026, 1, 14)) == 0
    report = await queries.check_integrity(runtime.ledger, b.principal)
    assert report.sound, report


async def test_an_unbalanced_entry_is_rejected_naming_lines(runtime):
    b = await books(runtime)
    lines = [LineInput(b.codes["1010"], Decimal("10")), LineInput(b.codes["4000"], Decimal("-9"))]
    with pytest.raises(ValidationFailed) as failure:
        await post(runtime, b.principal, lines, key="k1")
    assert failure.value.field == "lines" and failure.value.code == "UNBALANCED"
    assert await _balance(runtime, b.principal, b.codes["1010"]) == 0


async def test_row_problems_name_the_row(runtime):
    b = await books(runtime)
    await accounts.set_archived(runtime.ledger, b.principal, b.codes["5400"], archived=True)
    lines = [
        LineInput(b.other_codes["1010"], Decimal("1")),  # another organization's account
        LineInput(b.codes["5400"], Decimal("1")),  # archived
        LineInput(b.codes["5100"], Decimal("1"), currency="USD"),  # not the account's
        LineInput(b.codes["4000"], Decimal("-3")),
    ]
    with pytest.raises(ValidationFailed) as failure:
        await post(runtime, b.principal, lines, key="k1")
    assert [(i.field, i.code) for i in failure.value.issues] == [
        ("lines[0].accountId", "NOT_FOUND"),
        ("lines[1].accountId", "ACCOUNT_ARCHIVED"),
        ("lines[2].currency", "CURRENCY_MISMATCH"),
    ]
    zero = [LineInput(b.codes["1010"], Decimal("0")), LineInput(b.codes["4000"], Decimal("0"))]
    with pytest.raises(ValidationFailed) as failure:
        await post(runtime, b.principal, zero, key="k2")
    assert failure.value.issues[0].field == "lines[0].amount"
    rate = [
        LineInput(b.codes["1010"], Decimal("1"), rate=Decimal("-1")),
        LineInput(b.codes["4000"], Decimal("-1")),
    ]
    with pytest.raises(ValidationFailed) as failure:
        await post(runtime, b.principal, rate, key="k3")
    assert failure.value.issues[0].field == "lines[0].rate"


async def test_multi_currency_entries_balance_per_currency_and_carry_the_rate(runtime):
    b = await books(runtime)
    usd = await accounts.create_account(
        runtime.ledger, b.principal, code="1040", name="USD account", type="asset", currency="USD"
    )
    fx = await accounts.create_account(
        runtime.ledger,
        b.principal,
        code="3900",
        name="FX clearing USD",
        type="equity",
        currency="USD",
    )
    lines = [
        LineInput(b.codes["1010"], Decimal("-92")),
        LineInput(b.codes["3000"], Decimal("92")),
        LineInput(usd.id, Decimal("100"), rate=Decimal("0.92")),
        LineInput(fx.id, Decimal("-100"), rate=Decimal("0.92")),
    ]
    posted = await post(runtime, b.principal, lines, key="fx")
    assert posted.entry.lines[2].rate == Decimal("0.92")
    no_rate = [*lines[:2], LineInput(usd.id, Decimal("1")), LineInput(fx.id, Decimal("-1"))]
    with pytest.raises(ValidationFailed) as failure:
        await post(runtime, b.principal, no_rate, key="fx2")
    assert failure.value.issues[0].field == "lines[2].rate"
    unbalanced = [
        *lines[:2],
        LineInput(usd.id, Decimal("100"), rate=Decimal("0.92")),
        LineInput(fx.id, Decimal("-99"), rate=Decimal("0.92")),
    ]
    with pytest.raises(ValidationFailed, match="USD"):
        await post(runtime, b.principal, unbalanced, key="fx3")


async def test_same_key_same_input_returns_the_original_and_posts_once(runtime):
    b = await books(runtime)
    lines = pair(b.codes["5100"], b.codes["1010"], "42.10")
    first = await post(runtime, b.principal, lines, key="groceries-1")
    second = await post(runtime, b.principal, lines, key="groceries-1")
    assert second.replayed and second.entry.id == first.entry.id
    assert await _balance(runtime, b.principal, b.codes["5100"]) == Decimal("42.10")
    with pytest.raises(Conflict) as failure:
        await post(
            runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "1"), key="groceries-1"
        )
    assert (failure.value.code, failure.value.field) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    # Keys are per organization: the other one may use the same key.
    other = await post(
        runtime, b.other, pair(b.other_codes["5100"], b.other_codes["1010"], "1"), key="groceries-1"
    )
    assert not other.replayed


async def test_concurrent_duplicates_resolve_to_one_posting(runtime):
    b = await books(runtime)
    lines = pair(b.codes["5100"], b.codes["1010"], "5")
    results = await asyncio.gather(
        *[post(runtime, b.principal, lines, key="dup") for _ in range(8)]
    )
    assert len({r.entry.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await _balance(runtime, b.principal, b.codes["5100"]) == Decimal("5")


async def test_reversal_mirrors_links_and_is_refused_twice(runtime):
    b = await books(runtime)
    original = await post(
        runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "30"), key="o"
    )
    reversal = await posting.reverse_entry(
        runtime.ledger, b.principal, original.entry.id, idempotency_key="r1"
    )
    assert reversal.entry.reverses == original.entry.id
    assert [line.amount for line in reversal.entry.lines] == [Decimal("-30"), Decimal("30")]
    assert await _balance(runtime, b.principal, b.codes["5100"]) == 0
    with pytest.raises(RuleViolation) as failure:
        await posting.reverse_entry(
            runtime.ledger, b.principal, original.entry.id, idempotency_key="r2"
        )
    assert failure.value.code == "ALREADY_REVERSED"
    again = await posting.reverse_entry(
        runtime.ledger, b.principal, reversal.entry.id, idempotency_key="r3"
    )
    assert again.entry.reverses == reversal.entry.id
    assert await _balance(runtime, b.principal, b.codes["5100"]) == Decimal("30")
    with pytest.raises(NotFound):
        await posting.reverse_entry(
            runtime.ledger, b.other, original.entry.id, idempotency_key="r4"
        )


async def test_closed_periods_refuse_postings_and_reversals_until_reopened(runtime):
    b = await books(runtime)
    original = await post(
        runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "3"), key="o"
    )
    await periods.close_period(runtime.ledger, b.principal, through=date(2026, 1, 31))
    with pytest.raises(RuleViolation) as failure:
        await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "3"), key="p")
    assert failure.value.code == "PERIOD_CLOSED" and failure.value.field == "date"
    with pytest.raises(RuleViolation):
        await posting.reverse_entry(
            runtime.ledger, b.principal, original.entry.id, idempotency_key="r"
        )
    # Into February (open) a reversal posts.
    await posting.reverse_entry(
        runtime.ledger,
        b.principal,
        original.entry.id,
        idempotency_key="r2",
        entry_date=date(2026, 2, 1),
    )
    assert await periods.reopen_period(
        runtime.ledger, b.principal, from_day=date(2026, 1, 1)
    ) == date(2025, 12, 31)
    await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "3"), key="p")


async def test_drafts_are_editable_until_posted(runtime):
    b = await books(runtime)
    draft = await posting.post_journal_entry(
        runtime.ledger,
        b.principal,
        entry_date=JAN,
        memo="draft",
        lines=[LineInput(b.codes["5100"], Decimal("5")), LineInput(b.codes["1010"], Decimal("-4"))],
        idempotency_key="d",
        draft=True,
    )
    assert draft.entry.status is EntryStatus.DRAFT
    assert await _balance(runtime, b.principal, b.codes["5100"]) == 0
    with pytest.raises(ValidationFailed):
        await posting.post_draft_entry(
            runtime.ledger, b.principal, draft.entry.id, idempotency_key="pd"
        )
    edited = await posting.update_draft_entry(
        runtime.ledger,
        b.principal,
        draft.entry.id,
        lines=pair(b.codes["5100"], b.codes["1010"], "4"),
    )
    assert edited.lines[0].amount == Decimal("4")
    posted = await posting.post_draft_entry(
        runtime.ledger, b.principal, draft.entry.id, idempotency_key="pd2"
    )
    assert posted.entry.status is EntryStatus.POSTED
    assert await _balance(runtime, b.principal, b.codes["5100"]) == Decimal("4")
    with pytest.raises(RuleViolation) as failure:
        await posting.update_draft_entry(runtime.ledger, b.principal, draft.entry.id, memo="x")
    assert failure.value.code == "ALREADY_POSTED"


async def test_failing_assertions_are_reported_and_re_evaluated(runtime):
    b = await books(runtime)
    await post(runtime, b.principal, pair(b.codes["1010"], b.codes["4000"], "100"), key="a")
    held = await periods.assert_balance(
        runtime.ledger,
        b.principal,
        account_id=b.codes["1010"],
        day=date(2026, 1, 31),
        amount=Decimal("100"),
        currency="EUR",
    )
    assert held.holds
    assert await queries.assertions(runtime.ledger, b.principal, failing_only=True) == []
    # A back-dated posting breaks it.
    await post(
        runtime,
        b.principal,
        pair(b.codes["5100"], b.codes["1010"], "7"),
        key="b",
        day=date(2026, 1, 20),
    )
    failing = await queries.assertions(runtime.ledger, b.principal, failing_only=True)
    assert [(f.id, f.actual) for f in failing] == [(held.id, Decimal("93"))]


async def test_an_account_with_lines_is_archived_not_deleted(runtime):
    b = await books(runtime)
    await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "1"), key="a")
    with pytest.raises(RuleViolation, match="archive"):
        await accounts.delete_account(runtime.ledger, b.principal, b.codes["5100"])
    await accounts.delete_account(runtime.ledger, b.principal, b.codes["5900"])


async def test_parents_stay_in_the_org_and_type_and_never_form_a_cycle(runtime):
    b = await books(runtime)
    with pytest.raises(ValidationFailed) as failure:
        await accounts.update_account(
            runtime.ledger,
            b.principal,
            b.codes["1000"],
            accounts.AccountChanges(parent_id=b.codes["1010"]),
        )
    assert failure.value.field == "parentId"
    with pytest.raises(ValidationFailed):
        await accounts.update_account(
            runtime.ledger,
            b.principal,
            b.codes["1010"],
            accounts.AccountChanges(parent_id=b.codes["5000"]),
        )
    with pytest.raises(ValidationFailed):
        await accounts.update_account(
            runtime.ledger,
            b.principal,
            b.codes["1010"],
            accounts.AccountChanges(parent_id=b.other_codes["1000"]),
        )
    with pytest.raises(ValidationFailed) as failure:
        await accounts.create_account(
            runtime.ledger, b.principal, code="1010", name="x", type="asset", currency="EUR"
        )
    assert failure.value.code == "CODE_TAKEN"


async def test_idempotency_keys_are_kept_24_hours_then_purged_by_the_hourly_job(
    runtime, database_url
):
    import asyncpg

    from fiscus.workers.jobs.maintenance import purge_expired_credentials
    from tests.conftest import _plain

    b = await books(runtime)
    await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "1"), key="old")
    await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "1"), key="young")
    owner = await asyncpg.connect(_plain(database_url))
    try:
        await owner.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'"
        )
        await owner.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '23 hours'"
            " WHERE key = 'young'"
        )
        purged = await purge_expired_credentials({"runtime": runtime})
        assert purged["idempotency_keys"] == 1
        left = await owner.fetch("SELECT key FROM idempotency_keys")
        assert [r["key"] for r in left] == ["young"]
    finally:
        await owner.close()
