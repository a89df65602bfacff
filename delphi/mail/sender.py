"""Delivering the outbox over SMTP (``flask --app delphi send-mail``).

Each message is *claimed* in its own short transaction before it is sent:
``status`` goes ``queued`` → ``sending`` with ``attempts + 1`` by a
conditional ``UPDATE … WHERE status = 'queued'`` (on PostgreSQL the row is
first picked with ``FOR UPDATE SKIP LOCKED``, on SQLite the claim is a
``BEGIN IMMEDIATE`` transaction), so two senders running at once never send
the same message. After the SMTP server accepts it the message is marked
``sent`` in a second transaction.

Failures:

- the server cannot be reached (connection refused, time-out, TLS or login
  failure): the claimed message goes back to ``queued`` with its attempt
  not counted, and the run stops. Nothing is lost however long the server
  is down; the next run tries again.
- the server refuses the message with a temporary (4xx) error, or the
  connection drops while sending: it is retried with exponential backoff
  (``next_attempt_at`` = now + base · 2^(attempts−1), capped), and becomes
  ``failed`` with the error after ``MAIL_MAX_ATTEMPTS`` attempts;
- a permanent (5xx) refusal fails the message at once.

A sender that dies between the claim and the mark leaves the message in
``sending``; after ``MAIL_SENDING_TIMEOUT_SECONDS`` a later run puts it back
in the queue. That is the one case where a message may arrive twice (if the
server had accepted it just before the crash): we prefer that to losing it.

Without ``MAIL_SERVER`` (development) messages are written to the log
(logger ``delphi.mail``) and marked sent.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date

from flask import current_app
from sqlalchemy import select, update

from delphi.core.database import db
from delphi.core.models import MessageStatus, OutboxMessage, utcnow
from delphi.mail import links, setting

log = logging.getLogger("delphi.mail")


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or refused us as a client."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0           # stale claims put back in the queue
    server_unavailable: str | None = None

    def __str__(self) -> str:
        text = (f"sent {self.sent}, to retry {self.retried}, failed {self.failed}"
                + (f", released {self.released} stale claim(s)" if self.released else ""))
        if self.server_unavailable:
            text += f"; SMTP server unavailable ({self.server_unavailable}): the rest stays queued"
        return text


def send_queued(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Deliver up to ``limit`` due messages; commits after each one."""
    now = now or utcnow()
    report = SendReport(released=_release_stale(now))
    db.session.commit()
    transport = SmtpTransport() if current_app.config.get("MAIL_SERVER") else LogTransport()
    try:
        for _attempt in range(limit * 2):
            if report.sent + report.retried + report.failed >= limit:
                break
            claimed = _claim(now)
            if claimed is None:
                break
            if claimed is False:   # another sender took it first
                continue
            message = db.session.get(OutboxMessage, claimed)
            try:
                transport.send(message)
            except ServerUnavailable as error:
                _release(message, str(error))
                db.session.commit()
                report.server_unavailable = str(error)
                log.warning("SMTP server unavailable: %s", error)
                break
            except (smtplib.SMTPException, OSError) as error:
                permanent = _is_permanent(error)
                if _retry_or_fail(message, error, now, permanent=permanent):
                    report.retried += 1
                else:
                    report.failed += 1
                db.session.commit()
            else:
                message.status = MessageStatus.sent
                message.sent_at = now
                message.last_error = None
                message.body = links.redact(message.body)
                db.session.commit()
                report.sent += 1
    finally:
        transport.close()
    return report


def _claim(now: datetime) -> int | None | bool:
    """Claim the next due message in its own transaction: its id, None (none due) or False (lost a race)."""
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status == MessageStatus.queued, OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message_id = db.session.scalar(query)
    if message_id is None:
        db.session.rollback()
        return None
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.queued)
        .values(status=MessageStatus.sending, attempts=OutboxMessage.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return message_id if result.rowcount == 1 else False


def _release(message: OutboxMessage, error: str) -> None:
    """Back to the queue, the attempt not counted (the server was not reached)."""
    message.status = MessageStatus.queued
    message.attempts = max(0, message.attempts - 1)
    message.claimed_at = None
    message.last_error = error[:2000]


def _release_stale(now: datetime) -> int:
    timeout = timedelta(seconds=float(setting("MAIL_SENDING_TIMEOUT_SECONDS")))
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.sending, OutboxMessage.claimed_at < now - timeout)
        .values(status=MessageStatus.queued, claimed_at=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def backoff(attempts: int) -> timedelta:
    base = float(setting("MAIL_RETRY_BASE_SECONDS"))
    cap = float(setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _retry_or_fail(message: OutboxMessage, error: Exception, now: datetime, *, permanent: bool) -> bool:
    """Schedule a retry (True) or give up (False)."""
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.claimed_at = None
    if permanent or message.attempts >= int(setting("MAIL_MAX_ATTEMPTS")):
        message.status = MessageStatus.failed
        message.body = links.redact(message.body)
        log.error("Mail %s to %s failed for good: %s", message.id, message.recipient, error)
        return False
    message.status = MessageStatus.queued
    message.next_attempt_at = now + backoff(message.attempts)
    log.warning("Mail %s to %s will be retried: %s", message.id, message.recipient, error)
    return True


def _is_permanent(error: Exception) -> bool:
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [value[0] for value in error.recipients.values()]
        code = min(codes) if codes else None
    return isinstance(code, int) and 500 <= code < 600


def build_email(message: OutboxMessage) -> EmailMessage:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "delphi@localhost"
    domain = sender.rpartition("@")[2].strip("> ") or "localhost"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = rfc2822_date(message.created_at)
    # Stable across retries, so a receiving server can spot a duplicate.
    email["Message-ID"] = f"<delphi-outbox-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)   # (it clears Content-* headers: set them after)
    email["Content-Language"] = message.language
    return email


class LogTransport:
    """Development: no server configured, so the message goes to the log,
    live links included (it says so once per run)."""

    def __init__(self):
        log.warning("No MAIL_SERVER configured: messages are written to this log, live links "
                    "included. Use this for development only.")

    def send(self, message: OutboxMessage) -> None:
        log.info("Mail not sent (no MAIL_SERVER configured) to %s\nSubject: %s\n\n%s",
                 message.recipient, message.subject, message.body)

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection per run, opened at the first message."""

    def __init__(self):
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = current_app.config
        try:
            connection = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                                      timeout=float(setting("MAIL_TIMEOUT_SECONDS")))
            try:
                if _truthy(config.get("MAIL_USE_TLS")):
                    connection.starttls(context=ssl.create_default_context())
                if config.get("MAIL_USERNAME"):
                    connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            except BaseException:
                connection.close()
                raise
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(f"{type(error).__name__}: {error}") from error
        return connection

    def send(self, message: OutboxMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(build_email(message))
        except smtplib.SMTPServerDisconnected:
            self._drop()
            raise
        except smtplib.SMTPException:
            raise   # the server refused this message: the session goes on (SMTPException is an OSError)
        except OSError:
            self._drop()
            raise

    def _drop(self) -> None:
        """Close a broken connection; the next message reconnects (or finds the server gone)."""
        self.connection.close()
        self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
