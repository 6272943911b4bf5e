"""Whether an email has an account must not show: not in password-reset answers, their SQL
or their timing, nor (in email-verification mode) in sign-up answers. Through the real app,
with the real worker delivering the mail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.persistence.statements import count_statements
from fiscus.runtime import queue_name
from fiscus.services.credentials import utcnow
from fiscus.services.identity import auth
from fiscus.services.identity.registration import email_verification_required
from tests.conftest import _plain, make_settings, running
from tests.graphql_client import PASSWORD, gql, log_in
from tests.mailbox import VERIFICATION_TOKEN, body_of, deliver_mail, token_in

REQUEST_RESET = """mutation($email: String!) { requestPasswordReset(input: {email: $email}) {
    __typename ... on UserError { code field message } } }"""
SIGN_UP = """mutation($email: String!, $password: String!) { signUp(input: {email: $email,
    password: $password, displayName: "Bob", organizationName: "Bob's books"}) {
    __typename
    ... on SignUpPending { email message }
    ... on AuthPayload { role }
    ... on UserError { code field message } } }"""
VERIFY = """mutation($token: String!) { verifyEmail(input: {token: $token}) {
    __typename
    ... on AuthPayload { accessToken role user { email displayName } organization { name } }
    ... on UserError { code field message } } }"""


@pytest.fixture
def worker_settings(database_url, redis_url, redis_prefix, tmp_path) -> Settings:
    return make_settings(database_url, redis_prefix, tmp_path / "worker", redis_url=redis_url)


@pytest.fixture
def verifying_settings(database_url, redis_url, redis_prefix, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        redis_prefix,
        tmp_path / "api",
        redis_url=redis_url,
        auth={"jwt_secret": "test-secret-" + "x" * 40, "require_email_verification": True},
    )


@pytest.fixture
def verifying_app(verifying_settings: Settings) -> Starlette:
    return create_app(verifying_settings)


@pytest.fixture
async def verifying(verifying_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with running(verifying_app) as client:
        yield client


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


async def create_account(app: Starlette, email: str) -> None:
    """Straight through the service (the mode's signUp does not create accounts)."""
    await auth.sign_up(
        app.state.runtime.identity,
        email=email,
        password=PASSWORD,
        display_name="Ada",
        organization_name="Acme",
    )


async def answer_and_statements(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    with count_statements() as log:
        body = await gql(client, query, variables)
    return body, log.statements


async def queued_functions(app: Starlette, settings: Settings) -> list[str]:
    jobs = await app.state.runtime.queue.queued_jobs(queue_name=queue_name(settings))
    return sorted(job.function for job in jobs)


async def test_a_reset_answers_and_queries_alike_for_existing_and_unknown_emails(
    app, client, settings, worker_settings
):
    await create_account(app, "ada@example.com")

    existing = await answer_and_statements(client, REQUEST_RESET, {"email": "ada@example.com"})
    unknown = await answer_and_statements(client, REQUEST_RESET, {"email": "nobody@example.com"})

    assert existing == unknown
    assert existing[0] == {
        "data": {"requestPasswordReset": {"__typename": "RequestPasswordResetSuccess"}}
    }
    # No statement reads users: the lookup is the job's.
    assert not any("users" in statement for statement in existing[1])
    assert await queued_functions(app, settings) == ["send_password_reset"] * 2
    mailbox = await deliver_mail(worker_settings)
    assert list(mailbox) == ["ada@example.com"]


async def test_sign_up_answers_and_queries_alike_for_new_and_taken_emails(
    verifying_app, verifying, verifying_settings, worker_settings, owner
):
    await create_account(verifying_app, "ada@example.com")

    taken, taken_sql = await answer_and_statements(
        verifying, SIGN_UP, {"email": "ADA@example.com", "password": PASSWORD}
    )
    new, new_sql = await answer_and_statements(
        verifying, SIGN_UP, {"email": "bob@example.com", "password": PASSWORD}
    )

    pending = {
        "__typename": "SignUpPending",
        "message": "We sent an email to this address. Follow it to finish signing up "
        "(verifyEmail with the token it carries).",
    }
    assert taken["data"]["signUp"] == {**pending, "email": "ADA@example.com"}
    assert new["data"]["signUp"] == {**pending, "email": "bob@example.com"}
    assert taken_sql == new_sql
    assert await queued_functions(verifying_app, verifying_settings) == ["send_sign_up_email"] * 2
    assert await owner.fetchval("SELECT count(*) FROM users") == 1

    mailbox = await deliver_mail(worker_settings)

    [notice] = mailbox["ada@example.com"]
    assert notice["Subject"] == "Someone tried to sign up with your email"
    assert "log in, or reset your password" in body_of(notice)
    assert not VERIFICATION_TOKEN.search(body_of(notice))
    [invitation] = mailbox["bob@example.com"]
    assert invitation["Subject"] == "Finish signing up to fiscus"
    token = token_in(invitation, VERIFICATION_TOKEN)
    assert await owner.fetchval("SELECT count(*) FROM users") == 1  # nothing created yet
    rows = await owner.fetch("SELECT email FROM pending_sign_ups")
    assert [row["email"] for row in rows] == ["bob@example.com"]

    verified = (await gql(verifying, VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert verified["__typename"] == "AuthPayload"
    assert verified["role"] == "OWNER"
    assert verified["user"] == {"email": "bob@example.com", "displayName": "Bob"}
    assert verified["organization"]["name"] == "Bob's books"
    me = await gql(verifying, "{ me { role } }", token=verified["accessToken"])
    assert me["data"] == {"me": {"role": "OWNER"}}
    assert (await log_in(verifying, "bob@example.com"))["__typename"] == "AuthPayload"
    assert await owner.fetchval("SELECT count(*) FROM pending_sign_ups") == 0

    again = (await gql(verifying, VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert again["__typename"] == "ValidationError"
    assert (again["code"], again["field"]) == ("TOKEN_INVALID", "input.token")


async def test_sign_up_still_reports_invalid_fields_in_the_mode(verifying, owner):
    body = await gql(verifying, SIGN_UP, {"email": "not an email", "password": "short"})
    result = body["data"]["signUp"]
    assert result["__typename"] == "ValidationError"
    assert (result["code"], result["field"]) == ("INVALID_EMAIL", "input.email")
    assert await owner.fetchval("SELECT count(*) FROM pending_sign_ups") == 0


async def test_unknown_and_expired_verification_tokens_are_refused(
    verifying_app, verifying, worker_settings, owner
):
    unknown = (await gql(verifying, VERIFY, {"token": "vfy_nonsense"}))["data"]["verifyEmail"]
    assert unknown == {
        "__typename": "ValidationError",
        "code": "TOKEN_INVALID",
        "field": "input.token",
        "message": "This verification token is invalid, used or expired: sign up again.",
    }
    await gql(verifying, SIGN_UP, {"email": "bob@example.com", "password": PASSWORD})
    token = token_in(
        (await deliver_mail(worker_settings))["bob@example.com"][0], VERIFICATION_TOKEN
    )
    expires_at = await owner.fetchval("SELECT expires_at FROM pending_sign_ups")
    identity = verifying_app.state.runtime.identity

    identity.clock = lambda: expires_at + timedelta(seconds=1)
    late = (await gql(verifying, VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert (late["code"], late["field"]) == ("TOKEN_INVALID", "input.token")
    assert await owner.fetchval("SELECT count(*) FROM users") == 0

    identity.clock = lambda: expires_at - timedelta(seconds=1)
    in_time = (await gql(verifying, VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert in_time["__typename"] == "AuthPayload"
    identity.clock = utcnow


async def test_two_verifications_of_one_email_make_one_account(verifying, worker_settings, owner):
    for _ in range(2):
        await gql(verifying, SIGN_UP, {"email": "bob@example.com", "password": PASSWORD})
    mails = (await deliver_mail(worker_settings))["bob@example.com"]
    tokens = [token_in(mail, VERIFICATION_TOKEN) for mail in mails]
    assert len(set(tokens)) == 2

    results = await asyncio.gather(*(gql(verifying, VERIFY, {"token": t}) for t in tokens))

    outcomes = sorted(r["data"]["verifyEmail"]["__typename"] for r in results)
    assert outcomes == ["AuthPayload", "ValidationError"]
    refused = next(
        r["data"]["verifyEmail"]
        for r in results
        if r["data"]["verifyEmail"]["__typename"] == "ValidationError"
    )
    assert refused["field"] == "input.token"
    assert await owner.fetchval("SELECT count(*) FROM users") == 1
    assert await owner.fetchval("SELECT count(*) FROM organizations") == 1
    assert await owner.fetchval("SELECT count(*) FROM pending_sign_ups") == 0


async def test_production_mode_verifies_emails_unless_turned_off(
    database_url, redis_url, redis_prefix, tmp_path
):
    production = make_settings(
        database_url, redis_prefix, tmp_path, redis_url=redis_url, env="production"
    )
    async with running(create_app(production)) as client:
        body = await gql(client, SIGN_UP, {"email": "bob@example.com", "password": PASSWORD})
    assert body["data"]["signUp"]["__typename"] == "SignUpPending"
    assert email_verification_required(production)
    assert not email_verification_required(
        make_settings(database_url, redis_prefix, tmp_path, redis_url=redis_url)
    )


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_the_mode_is_set_by_its_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv("FISCUS_ENV", "production")
    monkeypatch.setenv("FISCUS_AUTH_REQUIRE_EMAIL_VERIFICATION", value)

    settings = Settings()

    assert settings.auth.require_email_verification is expected
    assert email_verification_required(settings) is expected
