"""Forged and tampered access tokens against the real app under uvicorn: over HTTP each is
refused with ``UNAUTHENTICATED`` and ``"data": null``, naming nothing of the account; in
``connection_init`` over a real WebSocket each closes the socket with 4403.

Every forgery starts from the claims of a real, live session (a VIEWER of a real
organization), so the only thing wrong with it is the forgery itself: the database check
that follows decoding would accept the genuine token, and the control case proves it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
import websockets

from fiscus.config import Settings
from tests.api.test_members import join
from tests.graphql_client import Account, sign_up
from tests.live_server import LiveServer

# The HS512 forgery uses the real (short for SHA-512) secret on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

ME = "{ me { role user { id email } organization { id name } } }"
GENUINE = "genuine"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _part(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _hs256(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    signing_input = f"{_part(header)}.{_part(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _with_payload(token: str, claims: dict[str, Any]) -> str:
    """The genuine header and signature around a different payload."""
    header, _, signature = token.split(".")
    return f"{header}.{_part(claims)}.{signature}"


def _raw_id(global_id: str) -> str:
    """The UUID inside a Relay global id (``base64("Organization:<uuid>")``)."""
    return base64.b64decode(global_id).decode().partition(":")[2]


def forged_tokens(
    genuine: str, refresh_token: str, other_org_id: str, settings: Settings
) -> dict[str, str]:
    assert settings.auth.jwt_secret is not None
    secret = settings.auth.jwt_secret.get_secret_value()
    real: dict[str, Any] = jwt.decode(genuine, options={"verify_signature": False})
    assert real["role"] == "viewer"
    now = int(time.time())

    def signed(**changes: Any) -> str:
        claims = {k: v for k, v in {**real, **changes}.items() if v is not None}
        return jwt.encode(claims, secret, algorithm="HS256")

    return {
        GENUINE: genuine,
        "alg-none": f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(real)}.",
        "alg-none-uppercase": f"{_part({'alg': 'None', 'typ': 'JWT'})}.{_part(real)}.",
        "alg-hs512-same-secret": jwt.encode(real, secret, algorithm="HS512"),
        "alg-rs256-header-hmac-signed": _hs256({"alg": "RS256", "typ": "JWT"}, real, secret),
        "wrong-secret": jwt.encode(real, "another-secret-" + "y" * 40, algorithm="HS256"),
        "tampered-role-owner": _with_payload(genuine, {**real, "role": "owner"}),
        "tampered-other-org": _with_payload(genuine, {**real, "org": _raw_id(other_org_id)}),
        "re-signed-other-org": signed(org=_raw_id(other_org_id)),
        "tampered-other-user": _with_payload(genuine, {**real, "sub": str(uuid.uuid4())}),
        "signature-stripped": genuine.rsplit(".", 1)[0] + ".",
        "wrong-issuer": signed(iss="evil"),
        "wrong-audience": signed(aud="someone-else"),
        "typ-refresh": signed(typ="refresh"),
        "typ-missing": signed(typ=None),
        "jti-missing": signed(jti=None),
        "sid-missing": signed(sid=None),
        "exp-missing": signed(exp=None),
        "iat-missing": signed(iat=None),
        "exp-not-a-number": signed(exp="tomorrow"),
        "expired": signed(iat=now - 1000, exp=now - 60),
        "not-yet-valid-nbf": signed(nbf=now + 600),
        "issued-in-the-future": signed(iat=now + 600, exp=now + 1500),
        "refresh-token-as-access": refresh_token,
        "garbage": "not-a-jwt",
        "three-garbage-parts": "a.b.c",
        "empty": "",
    }


@pytest.fixture
async def victim(http, runtime, settings: Settings) -> tuple[Account, str, Account]:
    """(owner, a VIEWER's access token in the owner's organization, an outsider)."""
    owner = await sign_up(http, "owner@example.com", org="Victim Org")
    outsider = await sign_up(http, "outsider@example.com", org="Other Org")
    _, viewer_token = await join(
        http, runtime.queue, settings, owner, "viewer@example.com", "VIEWER"
    )
    return owner, viewer_token, outsider


async def _http_outcome(http, token: str, leaks: tuple[str, ...]) -> tuple[Any, ...]:
    """(status, data, error codes, error paths, leaked strings, error messages)."""
    response = await http.post(
        "/graphql",
        json={"query": ME},
        headers={
            "authorization": f"Bearer {token}".strip(),  # h11 refuses a trailing space
            "accept": "application/graphql-response+json",
        },
    )
    body = response.json()
    errors = body.get("errors", [])
    return (
        response.status_code,
        body.get("data", "absent"),
        [e.get("extensions") for e in errors],
        [e.get("path") for e in errors],
        [leak for leak in leaks if leak in response.text],
        {e.get("message") for e in errors},
    )


async def test_forged_tokens_are_unauthenticated_over_http(http, victim, settings):
    owner, viewer_token, outsider = victim
    tokens = forged_tokens(viewer_token, owner.refresh_token, outsider.org_id, settings)
    leaks = ("owner@example.com", "viewer@example.com", "Victim Org", owner.org_id)

    outcomes = {name: await _http_outcome(http, token, leaks) for name, token in tokens.items()}

    status, data, codes, *_ = outcomes.pop(GENUINE)
    assert (status, data["me"]["role"], codes) == (200, "VIEWER", [])
    messages = {
        "The access token is invalid.",
        "The access token has expired.",
        "Authentication required.",
        "Your session has ended; log in again.",  # re-signed-other-org: no such membership
    }
    assert {name: o[5] <= messages for name, o in outcomes.items()} == dict.fromkeys(
        outcomes, True
    ), outcomes
    # GraphQL over HTTP: a response with ``"data": null`` is 200 (the spec's SHOULD); the
    # refusal is the error's code, and the body names nothing of the account.
    unauthenticated = (200, None, [{"code": "UNAUTHENTICATED"}], [["me"]], [])
    assert {name: o[:5] for name, o in outcomes.items()} == dict.fromkeys(outcomes, unauthenticated)


async def _websocket_outcome(live: LiveServer, token: str) -> str | int:
    async with websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
        return str(message["type"])


async def test_forged_tokens_close_the_websocket_with_4403(live, victim, settings):
    owner, viewer_token, outsider = victim
    tokens = forged_tokens(viewer_token, owner.refresh_token, outsider.org_id, settings)

    outcomes = {name: await _websocket_outcome(live, token) for name, token in tokens.items()}

    assert outcomes.pop(GENUINE) == "connection_ack"
    assert outcomes == dict.fromkeys(outcomes, 4403)


async def test_a_missing_authorization_in_connection_init_closes_with_4403(live):
    async with websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
