"""The hourly purge: expired credentials go, live and recently expired ones stay."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from fiscus.domain.identity import Principal
from fiscus.runtime import Runtime
from fiscus.services.identity import auth, members, password_reset, registration
from fiscus.workers.jobs.maintenance import purge_expired_credentials
from fiscus.workers.settings import run_worker
from tests.workers.conftest import SettingsFactory

PASSWORD = "correct horse battery staple"
LONG_AGO = datetime.now(UTC) - timedelta(days=3)
AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the table owner: it can backdate rows of any tenant."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def owner_of_new_org(runtime: Runtime, email: str) -> Principal:
    result = await auth.sign_up(
        runtime.identity,
        email=email,
        password=PASSWORD,
        display_name="Owner",
        organization_name=f"Org of {email}",
    )
    return await auth.authenticate(runtime.identity, result.access_token)


async def expire(
    owner: asyncpg.Connection, table: str, where: str, *args: object, at: datetime = LONG_AGO
) -> None:
    status = await owner.execute(f"UPDATE {table} SET expires_at = $1 WHERE {where}", at, *args)
    assert status != "UPDATE 0", f"nothing to expire in {table} where {where}"


async def user_ids_with_sessions(owner: asyncpg.Connection) -> set[uuid.UUID]:
    return {row["user_id"] for row in await owner.fetch("SELECT user_id FROM auth_sessions")}


async def test_expired_credentials_are_purged_across_organizations_and_live_ones_kept(
    runtime: Runtime, owner: asyncpg.Connection, settings_with: SettingsFactory
) -> None:
    ada = await owner_of_new_org(runtime, "ada@example.com")
    bob = await owner_of_new_org(runtime, "bob@example.com")
    for principal, name in ((ada, "ada"), (bob, "bob")):
        await password_reset.request_password_reset(
            runtime.identity, email=f"{name}@example.com", client_address=None
        )
        for state in ("stale", "fresh"):
            await members.invite_member(
                runtime.identity,
                principal=principal,
                email=f"{state}-{name}@example.com",
                role="MEMBER",
            )
    await run_worker(settings_with(), burst=True)  # stores the reset tokens
    await expire(owner, "auth_sessions", "user_id = $2", ada.user_id)
    await expire(owner, "password_resets", "user_id = $2", ada.user_id)
    await expire(owner, "password_resets", "user_id = $2", bob.user_id, at=AN_HOUR_AGO)
    await expire(owner, "invitations", "email LIKE 'stale-%'")

    purged = await purge_expired_credentials({"runtime": runtime})

    assert purged == {
        "sessions": 1,
        "password_resets": 1,
        "invitations": 2,
        "pending_sign_ups": 0,
        "idempotency_keys": 0,
    }
    assert await user_ids_with_sessions(owner) == {bob.user_id}
    resets = await owner.fetch("SELECT user_id FROM password_resets")
    assert [row["user_id"] for row in resets] == [bob.user_id]
    invitations = await owner.fetch("SELECT email FROM invitations ORDER BY email")
    assert [row["email"] for row in invitations] == [
        "fresh-ada@example.com",
        "fresh-bob@example.com",
    ]


async def test_the_worker_runs_the_purge_when_it_is_enqueued(
    runtime: Runtime, owner: asyncpg.Connection, settings_with: SettingsFactory
) -> None:
    ada = await owner_of_new_org(runtime, "ada@example.com")
    await expire(owner, "auth_sessions", "user_id = $2", ada.user_id)
    job = await runtime.queue.enqueue_job(
        "purge_expired_credentials", _job_id=f"purge:test:{uuid.uuid4()}"
    )
    assert job is not None

    await run_worker(settings_with(), burst=True)

    assert await user_ids_with_sessions(owner) == set()


async def test_expired_pending_sign_ups_are_purged_and_live_ones_kept(
    runtime: Runtime, owner: asyncpg.Connection
) -> None:
    auth_settings = runtime.settings.auth.model_copy(update={"require_email_verification": True})
    verifying = dataclasses.replace(
        runtime.identity, settings=runtime.settings.model_copy(update={"auth": auth_settings})
    )
    for email in ("stale@example.com", "fresh@example.com"):
        pending = await registration.sign_up(
            verifying,
            email=email,
            password=PASSWORD,
            display_name="Someone",
            organization_name="Org",
            client_address=None,
        )
        assert isinstance(pending, registration.SignUpPending)
    await expire(owner, "pending_sign_ups", "email = $2", "stale@example.com")

    purged = await purge_expired_credentials({"runtime": runtime})

    assert purged["pending_sign_ups"] == 1
    rows = await owner.fetch("SELECT email FROM pending_sign_ups")
    assert [row["email"] for row in rows] == ["fresh@example.com"]
