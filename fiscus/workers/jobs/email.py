"""Outgoing email: over SMTP when ``settings.smtp.host`` is set, else into the log and an
``.eml`` file under ``DATA_DIR/mailbox`` (embedded / development setups).

Delivery is keyed by the arq job id: the Message-ID and the mailbox file name derive from
it, so a redelivered job overwrites the same file and lets mail servers drop duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from arq import Retry

from fiscus.config import Settings, SMTPSettings
from fiscus.workers.jobs.context import JobContext, runtime_of

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20.0
RETRY_BASE_SECONDS = 5
RETRY_CAP_SECONDS = 600
MAX_TRIES = 8
"""With the backoff below, a message is retried for about ten minutes before giving up."""


class EmailRejected(RuntimeError):
    """The SMTP server refused the message for good (5xx): retrying cannot help."""


async def send_email(ctx: JobContext, *, to: str, subject: str, body: str) -> str:
    settings = runtime_of(ctx).settings
    job_id = str(ctx.get("job_id") or "")
    message = compose(settings, job_id, to=to, subject=subject, body=body)
    if settings.smtp.host is None:
        return await _deliver_to_mailbox(settings, message, job_id)
    try:
        await asyncio.to_thread(deliver_over_smtp, message, settings.smtp)
    except (smtplib.SMTPException, OSError) as error:
        if is_permanent_failure(error):
            log.error("email rejected", extra={"to": to, "subject": subject, "error": repr(error)})
            raise EmailRejected(f"{to}: {error!r}") from error
        delay = retry_delay_seconds(int(ctx.get("job_try") or 1))
        log.warning(
            "email delivery failed, will retry",
            extra={"to": to, "subject": subject, "error": repr(error), "retry_in_s": delay},
        )
        raise Retry(defer=delay) from error
    log.info("email sent", extra={"to": to, "subject": subject})
    return "sent"


def compose(settings: Settings, job_id: str, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = _message_id(settings.smtp.sender, job_id)
    message.set_content(body)
    return message


def deliver_over_smtp(message: EmailMessage, smtp: SMTPSettings) -> None:
    """Blocking: run it in a thread."""
    if smtp.host is None:
        raise ValueError("smtp.host is not set")
    with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            password = smtp.password.get_secret_value() if smtp.password else ""
            client.login(smtp.username, password)
        client.send_message(message)


def is_permanent_failure(error: BaseException) -> bool:
    """5xx replies are permanent; 4xx replies, refused or dropped connections and timeouts
    are transient. Other SMTP errors (no STARTTLS, no usable AUTH) are configuration
    mistakes that retrying will not fix."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return False
    return isinstance(error, smtplib.SMTPException)


def retry_delay_seconds(job_try: int) -> int:
    return int(min(RETRY_BASE_SECONDS * 2 ** max(job_try - 1, 0), RETRY_CAP_SECONDS))


def write_to_mailbox(message: EmailMessage, mailbox: Path, job_id: str) -> Path:
    """Atomically (write, then rename), so a reader never sees half a message."""
    mailbox.mkdir(parents=True, exist_ok=True)
    key = job_id or str(message["Message-ID"])
    path = mailbox / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.eml"
    handle, temporary = tempfile.mkstemp(dir=mailbox, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


async def _deliver_to_mailbox(settings: Settings, message: EmailMessage, job_id: str) -> str:
    path = await asyncio.to_thread(write_to_mailbox, message, settings.data_dir / "mailbox", job_id)
    fields = {"to": message["To"], "subject": message["Subject"], "path": str(path)}
    if settings.is_production:
        # The body may carry a secret (a reset token): never in production logs.
        log.warning("SMTP is not configured; email written to the mailbox", extra=fields)
    else:
        log.info("email written to the mailbox\n%s", message.get_content(), extra=fields)
    return f"mailbox:{path.name}"


def _message_id(sender: str, job_id: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "fiscus.local"
    if not job_id:
        return make_msgid(domain=domain)
    return f"<{hashlib.sha256(job_id.encode()).hexdigest()[:32]}@{domain}>"
