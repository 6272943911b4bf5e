"""Log-in, refresh rotation with reuse detection, log-out, password reset (throttling:
``test_authentication_throttling.py``)."""

from __future__ import annotations

import time
from datetime import timedelta

import asyncpg
import pytest

from fiscus.config import Settings
from fiscus.services.credentials import utcnow
from tests.conftest import _plain, make_settings
from tests.graphql_client import PASSWORD, gql, log_in, sign_up
from tests.mailbox import RESET_TOKEN, deliver_mail, token_in

REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    __typename
    ... on AuthPayload { accessToken refreshToken }
    ... on UserError { code field message }
  }
}
"""
ME = "{ me { role user { email } } }"


async def test_log_in_returns_working_tokens(client):
    account = await sign_up(client, "ada@example.com")
    result = await log_in(client, "ADA@example.com")
    assert result["__typename"] == "AuthPayload"
    assert result["organization"]["id"] == account.org_id
    body = await gql(client, ME, token=result["accessToken"])
    assert body["data"]["me"]["user"]["email"] == "ada@example.com"


async def test_unknown_email_and_wrong_password_fail_identically(client):
    await sign_up(client, "ada@example.com")
    started = time.perf_counter()
    wrong_password = await log_in(client, "ada@example.com", "not the password at all")
    wrong_password_seconds = time.perf_counter() - started
    started = time.perf_counter()
    unknown = await log_in(client, "nobody@example.com", "not the password at all")
    unknown_seconds = time.perf_counter() - started
    assert (
        wrong_password
        == unknown
        == {
            "__typename": "AuthenticationError",
            "code": "INVALID_CREDENTIALS",
            "field": None,
            "message": "Email or password is incorrect.",
        }
    )
    # Both paths verify an argon2 hash: neither is an order of magnitude faster.
    assert unknown_seconds > wrong_password_seconds / 5
    assert wrong_password_seconds > unknown_seconds / 5


async def test_refresh_rotates_and_reuse_revokes_the_family(client):
    account = await sign_up(client, "ada@example.com")
    first = (await gql(client, REFRESH, {"token": account.refresh_token}))["data"]["refreshToken"]
    assert first["__typename"] == "AuthPayload"
    assert first["refreshToken"] != account.refresh_token
    second = (await gql(client, REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert second["__typename"] == "AuthPayload"

    replay = (await gql(client, REFRESH, {"token": account.refresh_token}))["data"]["refreshToken"]
    assert replay["__typename"] == "AuthenticationError"
    assert replay["code"] == "TOKEN_REUSED"
    # The whole family is gone: the newest refresh token and the access tokens too.
    latest = (await gql(client, REFRESH, {"token": second["refreshToken"]}))["data"]["refreshToken"]
    assert latest["code"] == "TOKEN_INVALID"
    body = await gql(client, ME, token=second["accessToken"])
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_garbage_refresh_token_is_rejected(client):
    result = (await gql(client, REFRESH, {"token": "rt_nonsense"}))["data"]["refreshToken"]
    assert result == {
        "__typename": "AuthenticationError",
        "code": "TOKEN_INVALID",
        "field": "input.refreshToken",
        "message": "The refresh token is invalid or has expired.",
    }


async def test_log_out_ends_the_session_at_once(client):
    account = await sign_up(client, "ada@example.com")
    body = await gql(
        client,
        "mutation { logOut(input: {}) { ... on LogOutSuccess { ok } } }",
        token=account.token,
    )
    assert body["data"]["logOut"] == {"ok": True}
    after = await gql(client, ME, token=account.token)
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert after["data"] is None
    refreshed = (await gql(client, REFRESH, {"token": account.refresh_token}))["data"]
    assert refreshed["refreshToken"]["code"] == "TOKEN_INVALID"


async def test_no_token_and_bad_token_are_unauthenticated(client):
    for token in (None, "garbage"):
        body = await gql(client, ME, token=token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


REQUEST_RESET = """mutation($email: String!) { requestPasswordReset(input: {email: $email}) {
    __typename } }"""
RESET = """mutation($token: String!, $pw: String!) { resetPassword(input: {token: $token,
    newPassword: $pw}) { __typename ... on UserError { code field } } }"""


@pytest.fixture
def worker_settings(database_url, redis_url, redis_prefix, tmp_path) -> Settings:
    """A worker on the app's queue, with this test's own mailbox."""
    return make_settings(database_url, redis_prefix, tmp_path / "worker", redis_url=redis_url)


async def test_password_reset_end_to_end(client, worker_settings):
    await sign_up(client, "ada@example.com")
    for email in ("ada@example.com", "nobody@example.com"):
        body = await gql(client, REQUEST_RESET, {"email": email})
        assert body["data"]["requestPasswordReset"]["__typename"] == "RequestPasswordResetSuccess"
    mailbox = await deliver_mail(worker_settings)
    assert list(mailbox) == ["ada@example.com"]
    [mail] = mailbox["ada@example.com"]
    token = token_in(mail, RESET_TOKEN)

    weak = await gql(client, RESET, {"token": token, "pw": "short"})
    assert weak["data"]["resetPassword"] == {
        "__typename": "ValidationError",
        "code": "WEAK_PASSWORD",
        "field": "input.newPassword",
    }
    done = await gql(client, RESET, {"token": token, "pw": "a brand new passphrase"})
    assert done["data"]["resetPassword"]["__typename"] == "ResetPasswordSuccess"
    again = await gql(client, RESET, {"token": token, "pw": "another new passphrase"})
    assert again["data"]["resetPassword"]["code"] == "TOKEN_INVALID"
    assert (await log_in(client, "ada@example.com"))["code"] == "INVALID_CREDENTIALS"
    assert (await log_in(client, "ada@example.com", "a brand new passphrase"))[
        "__typename"
    ] == "AuthPayload"


async def test_a_reset_token_works_until_it_expires_and_not_after(
    app, client, worker_settings, database_url
):
    await sign_up(client, "ada@example.com")
    await gql(client, REQUEST_RESET, {"email": "ada@example.com"})
    token = token_in((await deliver_mail(worker_settings))["ada@example.com"][0], RESET_TOKEN)
    owner = await asyncpg.connect(_plain(database_url))
    try:
        expires_at = await owner.fetchval("SELECT expires_at FROM password_resets")
        identity = app.state.runtime.identity

        identity.clock = lambda: expires_at + timedelta(seconds=1)
        late = await gql(client, RESET, {"token": token, "pw": "a brand new passphrase"})
        assert late["data"]["resetPassword"] == {
            "__typename": "ValidationError",
            "code": "TOKEN_INVALID",
            "field": "input.token",
        }
        assert await owner.fetchval("SELECT used_at FROM password_resets") is None
        assert (await log_in(client, "ada@example.com"))["__typename"] == "AuthPayload"

        identity.clock = lambda: expires_at - timedelta(seconds=1)
        in_time = await gql(client, RESET, {"token": token, "pw": "a brand new passphrase"})
        assert in_time["data"]["resetPassword"] == {"__typename": "ResetPasswordSuccess"}
    finally:
        await owner.close()
    identity.clock = utcnow
    assert (await log_in(client, "ada@example.com"))["code"] == "INVALID_CREDENTIALS"
    assert (await log_in(client, "ada@example.com", "a brand new passphrase"))[
        "__typename"
    ] == "AuthPayload"


async def test_sign_up_reports_every_invalid_field_and_writes_nothing(client):
    body = await gql(
        client,
        """mutation { signUp(input: {email: "nope", password: "short",
        displayName: "  ", organizationName: "Acme"}) { __typename ... on ValidationError {
        problems { code field } } } }""",
    )
    assert body["data"]["signUp"] == {
        "__typename": "ValidationError",
        "problems": [
            {"code": "INVALID_EMAIL", "field": "input.email"},
            {"code": "WEAK_PASSWORD", "field": "input.password"},
            {"code": "REQUIRED", "field": "input.displayName"},
        ],
    }
    assert (await log_in(client, "nope"))["code"] == "INVALID_CREDENTIALS"


async def test_email_is_unique_case_insensitively(client):
    await sign_up(client, "ada@example.com")
    body = await gql(
        client,
        """mutation($password: String!) { signUp(input: {email: "ADA@Example.com",
        password: $password, displayName: "Ada", organizationName: "Other"}) {
        __typename ... on UserError { code field } } }""",
        {"password": PASSWORD},
    )
    assert body["data"]["signUp"] == {
        "__typename": "ValidationError",
        "code": "EMAIL_TAKEN",
        "field": "input.email",
    }
