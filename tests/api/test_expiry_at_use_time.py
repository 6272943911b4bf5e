"""Expiry is judged when a credential is used, by the app's clock: the real app under
uvicorn, built with a clock the test moves across each expiry instant."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jwt
import pytest
import websockets

from fiscus.app import create_app
from fiscus.config import Settings
from tests.api.test_members import ACCEPT, INVITE, invitation_token
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up
from tests.live_server import LiveServer

ME = "{ me { role user { email } } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    __typename
    ... on AuthPayload { accessToken refreshToken refreshTokenExpiresAt }
    ... on UserError { code field message }
  }
}
"""


class MovableClock:
    """Wall-clock time plus an offset the test sets; time keeps flowing between moves."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, instant: datetime) -> None:
        self.offset = instant - datetime.now(UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def clocked_live(settings: Settings, clock: MovableClock) -> Iterator[LiveServer]:
    app = create_app(settings, clock=clock)
    with LiveServer(app, lifespan="on", ws="websockets-sansio") as server:
        yield server


@pytest.fixture
async def client(clocked_live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=clocked_live.url) as http:
        yield http


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection (not subject to row-level security) to inspect the rows."""
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


def _expiry(access_token: str) -> datetime:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return datetime.fromtimestamp(claims["exp"], UTC)


async def test_an_access_token_works_until_its_expiry_and_not_after(client, clock):
    account = await sign_up(client, "ada@example.com")
    expires = _expiry(account.token)

    clock.move_to(expires - timedelta(seconds=2))
    before = await gql(client, ME, token=account.token)
    assert before == {"data": {"me": {"role": "OWNER", "user": {"email": "ada@example.com"}}}}

    clock.move_to(expires + timedelta(seconds=1))
    after = await gql(client, ME, token=account.token)
    assert after["data"] is None
    assert [(e["message"], e["extensions"]) for e in after["errors"]] == [
        ("The access token has expired.", {"code": "UNAUTHENTICATED"})
    ]


async def test_a_websocket_is_closed_with_4403_when_its_access_token_expires(
    client, clocked_live, clock, settings
):
    # Issued "in the past" by the app's clock, so the token expires a few real seconds from
    # now: the socket's expiry timer runs on the event loop, in real time.
    lifetime = timedelta(seconds=5)
    clock.move_to(
        datetime.now(UTC) - timedelta(seconds=settings.auth.access_token_ttl_seconds) + lifetime
    )
    account = await sign_up(client, "ada@example.com")
    expires = _expiry(account.token)
    assert expires - datetime.now(UTC) <= lifetime

    async with websockets.connect(
        f"ws://127.0.0.1:{clocked_live.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {account.token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ME}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["payload"]["data"]["me"]["user"] == {"email": "ada@example.com"}
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
    closed_at = datetime.now(UTC)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert expires <= closed_at < expires + timedelta(seconds=2)


TOKEN_ROW = "FROM refresh_tokens t WHERE t.token_hash = sha256(convert_to($1, 'UTF8'))"


async def _refresh_expiry(admin: asyncpg.Connection, token: str) -> datetime:
    expires: datetime = await admin.fetchval(f"SELECT t.expires_at {TOKEN_ROW}", token)
    return expires


async def _refresh_state(admin: asyncpg.Connection, token: str) -> tuple[bool, int]:
    """(was this refresh token used?, refresh tokens issued in its session)."""
    row = await admin.fetchrow(
        "SELECT t.used_at IS NOT NULL AS used,"
        " (SELECT count(*) FROM refresh_tokens s WHERE s.session_id = t.session_id) AS issued "
        + TOKEN_ROW,
        token,
    )
    assert row is not None
    return row["used"], row["issued"]


async def test_a_refresh_token_works_until_its_expiry_and_not_after(client, clock, admin):
    in_time = await sign_up(client, "ada@example.com")
    too_late = await sign_up(client, "bob@example.com")

    clock.move_to(await _refresh_expiry(admin, in_time.refresh_token) - timedelta(seconds=2))
    before = await gql(client, REFRESH, {"token": in_time.refresh_token})
    assert before["data"]["refreshToken"]["__typename"] == "AuthPayload"
    assert await _refresh_state(admin, in_time.refresh_token) == (True, 2)

    clock.move_to(await _refresh_expiry(admin, too_late.refresh_token) + timedelta(seconds=1))
    after = await gql(client, REFRESH, {"token": too_late.refresh_token})
    assert after["data"]["refreshToken"] == {
        "__typename": "AuthenticationError",
        "code": "TOKEN_INVALID",
        "field": "input.refreshToken",
        "message": "The refresh token is invalid or has expired.",
    }
    assert await _refresh_state(admin, too_late.refresh_token) == (False, 1)


async def _invite(client, runtime, settings, admin, owner, email: str) -> tuple[str, datetime]:
    """(the invitation token from its email, the invitation's expiry)."""
    invited = await gql(client, INVITE, {"email": email, "role": "MEMBER"}, token=owner.token)
    assert invited["data"]["inviteMember"]["__typename"] == "InviteMemberSuccess", invited
    token = await invitation_token(runtime.queue, settings, email)
    expires = await admin.fetchval("SELECT expires_at FROM invitations WHERE email = $1", email)
    return token, expires


async def _memberships(admin: asyncpg.Connection, email: str) -> list[tuple[str, str]]:
    rows = await admin.fetch(
        "SELECT o.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id"
        " JOIN organizations o ON o.id = m.org_id WHERE u.email = $1 ORDER BY o.name",
        email,
    )
    return [(row["name"], row["role"]) for row in rows]


async def test_an_invitation_can_be_accepted_until_its_expiry_and_not_after(
    client, clock, admin, runtime, settings
):
    owner = await sign_up(client, "owner@example.com", org="Acme")
    in_time, in_time_expires = await _invite(
        client, runtime, settings, admin, owner, "in-time@example.com"
    )
    too_late, too_late_expires = await _invite(
        client, runtime, settings, admin, owner, "too-late@example.com"
    )

    clock.move_to(in_time_expires - timedelta(seconds=2))
    ada = await sign_up(client, "in-time@example.com", org="Ada's")
    accepted = await gql(client, ACCEPT, {"token": in_time}, token=ada.token)
    assert accepted["data"]["acceptInvitation"] == {
        "__typename": "AcceptInvitationSuccess",
        "role": "MEMBER",
        "organization": {"id": owner.org_id, "name": "Acme"},
    }
    assert await _memberships(admin, "in-time@example.com") == [
        ("Acme", "member"),
        ("Ada's", "owner"),
    ]

    clock.move_to(too_late_expires + timedelta(seconds=1))
    bob = await sign_up(client, "too-late@example.com", org="Bob's")
    refused = await gql(client, ACCEPT, {"token": too_late}, token=bob.token)
    assert refused["data"]["acceptInvitation"] == {
        "__typename": "ValidationError",
        "code": "TOKEN_EXPIRED",
        "field": "input.token",
        "message": "This invitation has expired.",
    }
    assert await _memberships(admin, "too-late@example.com") == [("Bob's", "owner")]
    accepted_at = await admin.fetchval(
        "SELECT accepted_at FROM invitations WHERE email = 'too-late@example.com'"
    )
    assert accepted_at is None
