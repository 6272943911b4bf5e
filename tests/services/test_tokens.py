"""Access tokens: what the decoder must refuse."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from fiscus.config import AuthSettings
from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Role
from fiscus.services.credentials import AccessTokens

SECRET = "s" * 48
SETTINGS = AuthSettings(jwt_secret=SecretStr(SECRET))
TOKENS = AccessTokens(SETTINGS)


def claims(**overrides):
    now = datetime.now(UTC)
    values = {
        "iss": "fiscus",
        "aud": "fiscus-api",
        "sub": str(uuid.uuid4()),
        "org": str(uuid.uuid4()),
        "role": "owner",
        "sid": str(uuid.uuid4()),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_issued_token_round_trips():
    user, org, session = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    issued = TOKENS.issue(user_id=user, org_id=org, role=Role.ANALYST, session_id=session)
    principal = TOKENS.decode(issued.token)
    assert (principal.user_id, principal.org_id, principal.role, principal.session_id) == (
        user,
        org,
        Role.ANALYST,
        session,
    )
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "HS256"
    assert issued.expires_at - datetime.now(UTC) <= timedelta(minutes=15)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        pytest.param(
            b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims()) + ".",
            "TOKEN_INVALID",
            id="alg-none",
        ),
        pytest.param(
            jwt.encode(claims(), SECRET, algorithm="HS512"), "TOKEN_INVALID", id="wrong-algorithm"
        ),
        pytest.param(
            jwt.encode(claims(), "another-secret-" * 4, algorithm="HS256"),
            "TOKEN_INVALID",
            id="wrong-key",
        ),
        pytest.param(
            jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="wrong-audience",
        ),
        pytest.param(
            jwt.encode(claims(iss="evil"), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="wrong-issuer",
        ),
        pytest.param(
            jwt.encode(
                claims(exp=int(datetime.now(UTC).timestamp()) - 120), SECRET, algorithm="HS256"
            ),
            "TOKEN_EXPIRED",
            id="expired",
        ),
        pytest.param(
            jwt.encode(claims(exp=None), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="missing-exp",
        ),
        pytest.param(
            jwt.encode(claims(typ="refresh"), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="refresh-as-access",
        ),
        pytest.param(
            jwt.encode(claims(typ=None), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="missing-type",
        ),
        pytest.param(
            jwt.encode(claims(role="god"), SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            id="unknown-role",
        ),
        pytest.param("not-a-jwt", "TOKEN_INVALID", id="garbage"),
    ],
)
def test_decoder_rejects(token, code):
    with pytest.raises(AuthenticationFailed) as failure:
        TOKENS.decode(token)
    assert failure.value.code == code
