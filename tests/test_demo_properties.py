"""`fiscus demo`: the demo user's second organization manages a small property portfolio
(two buildings, twelve units, one vacancy, one tenant behind on rent) whose books agree
with its sub-ledger."""

from __future__ import annotations

from datetime import timedelta

from fiscus.config import Settings
from fiscus.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PROPERTIES_ORGANIZATION,
    LATE_PAYER,
    seed_demo,
)
from fiscus.runtime import Runtime
from fiscus.services.identity import queries as identity_queries
from fiscus.services.identity.auth import log_in, switch_organization
from fiscus.services.ledger import queries as ledger_queries
from fiscus.services.properties import reports as property_reports
from fiscus.services.receivables import queries, reports


async def test_the_demo_keeps_a_property_portfolio_in_a_second_organization(settings: Settings):
    assert await seed_demo(settings, backfill_now=False) is True
    runtime = await Runtime.open(settings)
    try:
        session = await log_in(
            runtime.identity,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            organization_id=None,
            client_address=None,
        )
        household = runtime.identity.tokens.decode(session.access_token)
        mine = await identity_queries.my_memberships(runtime.identity, household)
        names = await identity_queries.organizations_by_id(
            runtime.identity, household, [m.org_id for m in mine]
        )
        properties = next(
            m.org_id for m in mine if names[m.org_id].name == DEMO_PROPERTIES_ORGANIZATION
        )
        switched = await switch_organization(
            runtime.identity, principal=household, organization_id=properties
        )
        landlord = runtime.identity.tokens.decode(switched.access_token)
        today = runtime.ledger.clock().date()
        assert (await queries.check_integrity(runtime.ledger, landlord)).sound
        assert (await ledger_queries.check_integrity(runtime.ledger, landlord)).sound
        aging = await reports.aging(runtime.ledger, landlord, today, "counterparty")
        behind = {row.label: row.figures for _, row in aging.rows}
        assert LATE_PAYER in behind and behind[LATE_PAYER].past_due > 0
        occupancy = await property_reports.occupancy_report(
            runtime.ledger, landlord, today.replace(day=1), today
        )
        assert sum(r.units for r in occupancy.rows) == 12
        assert sum(r.occupied_units_at_end for r in occupancy.rows) == 11
        trend = await property_reports_trend(runtime, landlord, today)
        assert trend, "month-end snapshots"
    finally:
        await runtime.close()


async def property_reports_trend(runtime, landlord, today):
    from fiscus.services.receivables import snapshots

    return await snapshots.delinquency_trend(
        runtime.ledger, landlord, today - timedelta(days=400), today
    )
