"""An in-process SMTP server, settings per test, and clean-up of arq's global job keys."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from fiscus.config import Settings
from fiscus.runtime import Runtime, queue_name
from tests.conftest import make_settings

SettingsFactory = Callable[..., Settings]


@dataclass
class ReceivedMail:
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        content: str = self.message.get_content()
        return content


@dataclass
class MailHandler:
    """Collects what the server accepts; ``reply`` lets a test make it refuse."""

    received: list[ReceivedMail] = field(default_factory=list)
    reply: str = "250 Message accepted for delivery"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reply.startswith("250"):
            content = envelope.original_content or b""
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(ReceivedMail(list(envelope.rcpt_tos), parsed))
        return self.reply


@dataclass
class SmtpServer:
    port: int
    handler: MailHandler

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = MailHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.port, handler)
    finally:
        controller.stop()


SMTP_LOGIN = ("fiscus", "s3cret-relay-password")


def accept_only_fiscus(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    expected = LoginPassword(SMTP_LOGIN[0].encode(), SMTP_LOGIN[1].encode())
    return AuthResult(success=auth_data == expected, handled=False)


@pytest.fixture
def authenticating_smtp_server() -> Iterator[SmtpServer]:
    """Refuses mail from clients that did not log in as ``SMTP_LOGIN``."""
    handler = MailHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=accept_only_fiscus,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture
def settings_with(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> SettingsFactory:
    """Settings sharing the run's database and queue, with a data directory of this test."""

    def build(**overrides: Any) -> Settings:
        return make_settings(
            database_url, redis_prefix, tmp_path / "data", redis_url=redis_url, **overrides
        )

    return build


@pytest.fixture(autouse=True)
async def _drop_queued_jobs(runtime: Runtime) -> AsyncIterator[None]:
    """arq keeps job payloads under global ``arq:job:<id>`` keys that the run's prefix
    clean-up does not reach: delete those of jobs a test left in the queue."""
    yield
    queue = queue_name(runtime.settings)
    job_ids = [raw.decode() for raw in await runtime.queue.zrange(queue, 0, -1)]
    kinds = ("job", "retry", "in-progress")
    keys = [f"arq:{kind}:{job_id}" for job_id in job_ids for kind in kinds]
    if keys:
        await runtime.queue.delete(*keys)
