"""Email jobs end to end: service -> unit of work -> arq queue -> real worker -> SMTP."""

from __future__ import annotations

import dataclasses
import re
import uuid
from email import message_from_bytes, policy

import pytest
from arq import Retry
from sqlalchemy import select

from fiscus.observability.metrics import REGISTRY
from fiscus.persistence.models.identity import PasswordResetRow
from fiscus.runtime import Runtime, queue_name
from fiscus.services.identity import auth, password_reset
from fiscus.workers.jobs.email import EmailRejected, send_email
from fiscus.workers.settings import run_worker
from tests.workers.conftest import SMTP_LOGIN, SettingsFactory, SmtpServer, free_port

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a completely new passphrase"
RESET_TOKEN = re.compile(r"pwr_[A-Za-z0-9_-]+")


async def sign_up(runtime: Runtime, email: str) -> None:
    await auth.sign_up(
        runtime.identity,
        email=email,
        password=PASSWORD,
        display_name="Ada",
        organization_name="Acme",
    )


def sent_emails(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "fiscus_job_runs_total", {"job": "send_email", "outcome": outcome}
        )
        or 0.0
    )


async def queued(runtime: Runtime) -> int:
    count: int = await runtime.queue.zcard(queue_name(runtime.settings))
    return count


async def test_password_reset_email_arrives_over_smtp_and_its_token_resets_the_password(
    runtime: Runtime, smtp_server: SmtpServer, settings_with: SettingsFactory
) -> None:
    await sign_up(runtime, "ada@example.com")
    sent_before = sent_emails("ok")

    await password_reset.request_password_reset(
        runtime.identity, email="ada@example.com", client_address=None
    )
    await run_worker(
        settings_with(smtp={"host": "127.0.0.1", "port": smtp_server.port}), burst=True
    )

    [mail] = smtp_server.received
    assert mail.recipients == ["ada@example.com"]
    assert mail.message["Subject"] == "Reset your fiscus password"
    token = RESET_TOKEN.search(mail.body)
    assert token is not None
    await password_reset.reset_password(
        runtime.identity, token=token.group(), new_password=NEW_PASSWORD
    )
    logged_in = await auth.log_in(
        runtime.identity,
        email="ada@example.com",
        password=NEW_PASSWORD,
        organization_id=None,
        client_address=None,
    )
    assert logged_in.user.email == "ada@example.com"
    assert sent_emails("ok") == sent_before + 1


async def test_a_reset_for_an_unknown_email_stores_and_sends_nothing(
    runtime: Runtime, smtp_server: SmtpServer, settings_with: SettingsFactory
) -> None:
    await sign_up(runtime, "ada@example.com")
    await password_reset.request_password_reset(
        runtime.identity, email="nobody@example.com", client_address=None
    )
    assert await queued(runtime) == 1

    await run_worker(
        settings_with(smtp={"host": "127.0.0.1", "port": smtp_server.port}), burst=True
    )

    assert smtp_server.received == []
    assert await queued(runtime) == 0
    async with runtime.identity.unit() as uow:
        ada = await uow.users.by_email("ada@example.com")
        assert ada is not None
        assert (
            await uow.password_resets.count(
                select(PasswordResetRow).where(PasswordResetRow.user_id == ada.id)
            )
            == 0
        )


async def test_a_unit_of_work_that_is_not_committed_enqueues_nothing(runtime: Runtime) -> None:
    async with runtime.identity.unit() as uow:
        uow.enqueue(
            "send_email",
            job_id=f"email:test:{uuid.uuid4()}",
            to="ada@example.com",
            subject="never",
            body="never",
        )
    with pytest.raises(RuntimeError):
        async with runtime.identity.unit() as uow:
            uow.enqueue(
                "send_email",
                job_id=f"email:test:{uuid.uuid4()}",
                to="ada@example.com",
                subject="never",
                body="never",
            )
            raise RuntimeError("the use case failed")
    assert await queued(runtime) == 0

    async with runtime.identity.unit() as uow:
        uow.enqueue(
            "send_email",
            job_id=f"email:test:{uuid.uuid4()}",
            to="ada@example.com",
            subject="sent",
            body="sent",
        )
        await uow.commit()
    assert await queued(runtime) == 1


async def test_the_same_job_enqueued_twice_sends_one_email(
    runtime: Runtime, smtp_server: SmtpServer, settings_with: SettingsFactory
) -> None:
    job_id = f"email:test:{uuid.uuid4()}"
    for _ in range(2):
        async with runtime.identity.unit() as uow:
            uow.enqueue(
                "send_email", job_id=job_id, to="ada@example.com", subject="Hello", body="Once."
            )
            await uow.commit()
    assert await queued(runtime) == 1

    await run_worker(
        settings_with(smtp={"host": "127.0.0.1", "port": smtp_server.port}), burst=True
    )

    assert [mail.recipients for mail in smtp_server.received] == [["ada@example.com"]]
    assert (
        await runtime.queue.enqueue_job(
            "send_email", _job_id=job_id, to="ada@example.com", subject="Hello", body="Once."
        )
        is None
    )


async def test_without_smtp_the_email_is_written_to_the_mailbox(
    runtime: Runtime, settings_with: SettingsFactory
) -> None:
    settings = settings_with()
    await sign_up(runtime, "ada@example.com")
    await password_reset.request_password_reset(
        runtime.identity, email="ada@example.com", client_address=None
    )

    await run_worker(settings, burst=True)

    [path] = (settings.data_dir / "mailbox").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "ada@example.com"
    assert RESET_TOKEN.search(str(message.get_body()))


async def test_a_redelivered_job_overwrites_its_mailbox_file(
    runtime: Runtime, settings_with: SettingsFactory
) -> None:
    settings = settings_with()
    ctx = {"runtime": dataclasses.replace(runtime, settings=settings), "job_id": "email:x:1"}

    first = await send_email(ctx, to="ada@example.com", subject="Hi", body="One.")
    second = await send_email(ctx, to="ada@example.com", subject="Hi", body="One.")

    assert first == second
    assert len(list((settings.data_dir / "mailbox").iterdir())) == 1


async def test_an_unreachable_smtp_server_retries_with_growing_delays(
    runtime: Runtime, settings_with: SettingsFactory
) -> None:
    down = settings_with(smtp={"host": "127.0.0.1", "port": free_port()})
    delays = []
    for job_try in (1, 2, 3):
        ctx = {
            "runtime": dataclasses.replace(runtime, settings=down),
            "job_id": "email:x:2",
            "job_try": job_try,
        }
        with pytest.raises(Retry) as retry:
            await send_email(ctx, to="ada@example.com", subject="Hi", body="Later.")
        delays.append(retry.value.defer_score)
    assert delays == [5_000, 10_000, 20_000]


@pytest.mark.parametrize(
    ("reply", "raised"),
    [
        ("451 4.3.0 Mailbox busy, try again later", Retry),
        ("550 5.1.1 No such user", EmailRejected),
    ],
)
async def test_temporary_refusals_retry_and_permanent_ones_give_up(
    runtime: Runtime,
    smtp_server: SmtpServer,
    settings_with: SettingsFactory,
    reply: str,
    raised: type[Exception],
) -> None:
    smtp_server.handler.reply = reply
    settings = settings_with(smtp={"host": "127.0.0.1", "port": smtp_server.port})
    ctx = {
        "runtime": dataclasses.replace(runtime, settings=settings),
        "job_id": "email:x:3",
        "job_try": 1,
    }

    with pytest.raises(raised):
        await send_email(ctx, to="ada@example.com", subject="Hi", body="Refused.")
    assert smtp_server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("password", "delivered"), [(SMTP_LOGIN[1], True), ("wrong", False)])
async def test_configured_credentials_are_used_to_log_in(
    runtime: Runtime,
    authenticating_smtp_server: SmtpServer,
    settings_with: SettingsFactory,
    password: str,
    delivered: bool,
) -> None:
    settings = settings_with(
        smtp={
            "host": "127.0.0.1",
            "port": authenticating_smtp_server.port,
            "username": SMTP_LOGIN[0],
            "password": password,
        }
    )
    ctx = {
        "runtime": dataclasses.replace(runtime, settings=settings),
        "job_id": "email:x:4",
        "job_try": 1,
    }

    if delivered:
        assert await send_email(ctx, to="ada@example.com", subject="Hi", body="Authed.") == "sent"
    else:
        with pytest.raises(EmailRejected):
            await send_email(ctx, to="ada@example.com", subject="Hi", body="Authed.")
    assert len(authenticating_smtp_server.received) == int(delivered)
