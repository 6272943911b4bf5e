"""Mail the real worker delivers: run it in burst mode on a test's queue, read its mailbox."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from fiscus.config import Settings
from fiscus.workers.settings import run_worker

RESET_TOKEN = re.compile(r"pwr_[A-Za-z0-9_-]+")
VERIFICATION_TOKEN = re.compile(r"vfy_[A-Za-z0-9_-]+")


async def deliver_mail(settings: Settings) -> dict[str, list[EmailMessage]]:
    """Runs every queued job, and the jobs those enqueue, with a worker whose mailbox is
    under ``settings.data_dir`` (no SMTP); returns the messages there by recipient."""
    await run_worker(settings, burst=True)
    mailbox: dict[str, list[EmailMessage]] = {}
    for path in sorted((settings.data_dir / "mailbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        mailbox.setdefault(str(message["To"]), []).append(message)
    return mailbox


def body_of(message: EmailMessage) -> str:
    part = message.get_body()
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content


def token_in(message: EmailMessage, pattern: re.Pattern[str]) -> str:
    found = pattern.search(body_of(message))
    assert found is not None, body_of(message)
    return found.group()
