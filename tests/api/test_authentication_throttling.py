"""Throttled log-in, sign-up and password reset through the real app, on the run's Redis
(7 on CI) and on the embedded Redis 6.2 that `fiscus serve` starts when none is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fiscus.app import create_app
from fiscus.config import Settings
from tests.conftest import make_settings, running
from tests.graphql_client import PASSWORD, gql, log_in, sign_up


@pytest.fixture
def throttled_settings(
    database_url: str, redis_prefix: str, each_redis_url: str, tmp_path: Path
) -> Settings:
    return make_settings(database_url, redis_prefix, tmp_path, redis_url=each_redis_url)


@pytest.fixture
async def throttled(throttled_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(throttled_settings)) as client:
        yield client


async def test_login_is_throttled_per_account(throttled, throttled_settings):
    auth = throttled_settings.auth
    await sign_up(throttled, "ada@example.com")
    for _ in range(auth.login_max_failures_per_account):
        failed = await log_in(throttled, "ada@example.com", "wrong password!")
        assert failed == {
            "__typename": "AuthenticationError",
            "code": "INVALID_CREDENTIALS",
            "field": None,
            "message": "Email or password is incorrect.",
        }
    throttled_login = await log_in(throttled, "ada@example.com")  # even the right password
    assert throttled_login["__typename"] == "RateLimitedError"
    assert throttled_login["code"] == "RATE_LIMITED"
    assert 0 < throttled_login["retryAfterSeconds"] <= auth.login_window_seconds
    other = await sign_up(throttled, "bob@example.com")
    assert (await log_in(throttled, other.email))["__typename"] == "AuthPayload"


async def test_login_is_throttled_per_client_address(throttled, throttled_settings):
    limit = throttled_settings.auth.login_max_failures_per_address
    for i in range(limit):
        failed = await log_in(throttled, f"nobody{i}@example.com", "wrong password!")
        assert failed["code"] == "INVALID_CREDENTIALS"
    result = await log_in(throttled, "someone-else@example.com", "wrong password!")
    assert result["__typename"] == "RateLimitedError"


async def test_a_successful_login_forgets_the_accounts_failures(throttled, throttled_settings):
    limit = throttled_settings.auth.login_max_failures_per_account
    await sign_up(throttled, "ada@example.com")
    for _ in range(limit - 1):
        await log_in(throttled, "ada@example.com", "wrong password!")
    assert (await log_in(throttled, "ada@example.com"))["__typename"] == "AuthPayload"
    for _ in range(limit - 1):
        failed = await log_in(throttled, "ada@example.com", "wrong password!")
        assert failed["code"] == "INVALID_CREDENTIALS"


REQUEST_RESET = """mutation($email: String!) { requestPasswordReset(input: {email: $email}) {
    __typename ... on RateLimitedError { code retryAfterSeconds } } }"""


async def request_reset(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(client, REQUEST_RESET, {"email": email}))["data"][
        "requestPasswordReset"
    ]
    return result


async def test_password_resets_are_throttled_per_account(throttled, throttled_settings):
    auth = throttled_settings.auth
    for _ in range(auth.password_reset_max_per_account):
        accepted = await request_reset(throttled, "victim@example.com")
        assert accepted == {"__typename": "RequestPasswordResetSuccess"}
    refused = await request_reset(throttled, "VICTIM@example.com ")
    assert refused["__typename"] == "RateLimitedError"
    assert refused["code"] == "RATE_LIMITED"
    assert 0 < refused["retryAfterSeconds"] <= auth.password_reset_window_seconds
    other = await request_reset(throttled, "someone-else@example.com")
    assert other["__typename"] == "RequestPasswordResetSuccess"


async def test_password_resets_are_throttled_per_client_address(throttled, throttled_settings):
    for i in range(throttled_settings.auth.password_reset_max_per_address):
        accepted = await request_reset(throttled, f"person{i}@example.com")
        assert accepted["__typename"] == "RequestPasswordResetSuccess"
    refused = await request_reset(throttled, "one-more@example.com")
    assert refused["__typename"] == "RateLimitedError"


async def test_sign_ups_are_throttled_per_client_address(throttled, throttled_settings):
    auth = throttled_settings.auth
    for i in range(auth.sign_up_max_per_address):
        await sign_up(throttled, f"person{i}@example.com")
    body = await gql(
        throttled,
        """mutation($password: String!) { signUp(input: {email: "late@example.com",
        password: $password, displayName: "Late", organizationName: "Late"}) {
        __typename ... on RateLimitedError { code retryAfterSeconds } } }""",
        {"password": PASSWORD},
    )
    refused = body["data"]["signUp"]
    assert refused["__typename"] == "RateLimitedError"
    assert 0 < refused["retryAfterSeconds"] <= auth.sign_up_window_seconds
    assert (await log_in(throttled, "late@example.com"))["code"] == "INVALID_CREDENTIALS"
