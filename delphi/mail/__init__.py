"""Mail: a transactional outbox, an SMTP sender, magic links and reminders.

Messages are *queued* (rows of :class:`~delphi.core.models.OutboxMessage`) in the
same transaction as the change that causes them (a round opening, a
submission), rendered at once in the recipient's language. ``flask --app
delphi send-mail`` delivers them later (see ``docs/mail.md``); nothing is lost
while the SMTP server is down, and each message is sent at most once by
concurrent senders.

Modules:

- :mod:`delphi.mail.outbox`: ``queue(...)``, ``queue_many(...)`` (in bulk) and the templates' subjects;
- :mod:`delphi.mail.sender`: ``send_queued(now=None, limit=...)``;
- :mod:`delphi.mail.links`: single-use magic links to one questionnaire, and
  ``granted_panellist(study, round)`` for the questionnaire view;
- :mod:`delphi.mail.reminders`: manual and scheduled reminders, opting out;
- :mod:`delphi.mail.signals`: receivers of the ``rounds`` signals.

Configuration (``DELPHI_`` + name in the environment) beyond the ``MAIL_*``
keys of :class:`delphi.config.Defaults`, with their defaults here.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

#: Settings the mail package reads with these defaults when the app has none.
DEFAULTS = {
    "MAIL_MAX_ATTEMPTS": 6,                 # then the message is ``failed``
    "MAIL_RETRY_BASE_SECONDS": 60,          # backoff: base * 2 ** (attempts - 1)
    "MAIL_RETRY_MAX_SECONDS": 6 * 3600,
    "MAIL_SENDING_TIMEOUT_SECONDS": 15 * 60,  # a claim older than this is released
    "MAIL_TIMEOUT_SECONDS": 30,             # SMTP socket timeout
    "MAIL_QUIET_HOURS": (22, 7),            # UTC; None or "" switches them off
    "MAIL_REMINDER_CAP": 3,                 # reminders per panellist and round
    "MAIL_REMINDER_DAYS": (7, 2),           # when a round sets no reminder_days
    "MAIL_LINK_REQUESTS_PER_HOUR": 3,       # fresh links a panellist may request
    "MAGIC_LINK_LIFETIME_DAYS": 14,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS.get(name))


def link_lifetime() -> timedelta:
    return timedelta(days=float(setting("MAGIC_LINK_LIFETIME_DAYS")))


def base_url() -> str:
    return str(current_app.config.get("BASE_URL") or "").rstrip("/")
