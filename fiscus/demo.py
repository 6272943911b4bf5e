"""The demo account: a household organization that watches a few dozen instruments of the
simulated market (equities, ETFs, crypto, FX) with ten years of daily history."""

from __future__ import annotations

from fiscus.config import Settings

DEMO_EMAIL = "demo@fiscus.dev"
DEMO_PASSWORD = "demo-password-123"
DEMO_DISPLAY_NAME = "Demo User"
DEMO_ORGANIZATION = "Demo Household"


async def seed_demo(settings: Settings, *, backfill_now: bool) -> bool:
    """Create the demo account unless it exists; True if it was created.

    The account watches every instrument of the simulated market. ``backfill_now`` loads
    their history before returning (``fiscus demo``); otherwise the backfill jobs that
    tracking enqueues load it in the worker (``fiscus serve --demo`` runs one).
    """
    # Imported here: the CLI reads this module's constants without loading the app.
    from fiscus.domain.errors import ValidationFailed
    from fiscus.marketdata.providers.simulated import CATALOGUE
    from fiscus.runtime import Runtime
    from fiscus.services.identity.auth import sign_up
    from fiscus.services.marketdata import refresh, tracking

    runtime = await Runtime.open(settings)
    try:
        try:
            account = await sign_up(
                runtime.identity,
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                display_name=DEMO_DISPLAY_NAME,
                organization_name=DEMO_ORGANIZATION,
            )
        except ValidationFailed as failure:
            if any(issue.code == "EMAIL_TAKEN" for issue in failure.issues):
                return False
            raise
        owner = runtime.identity.tokens.decode(account.access_token)
        watched = []
        for symbol in sorted(CATALOGUE):
            tracked = await tracking.track_instrument(runtime.marketdata, owner, symbol=symbol)
            watched.append(tracked.instrument.id)
        if backfill_now:
            await refresh.refresh_instruments(runtime.marketdata, runtime.providers, watched)
        return True
    finally:
        await runtime.close()
