"""Receivers of the ``rounds`` signals: they queue the process's messages.

They run inside the transaction of the service that sent the signal (they
add outbox rows and flush; they never commit), so a message exists exactly
when the change that caused it is committed. Each message has a
``dedupe_key``, so a signal sent twice queues it once. A round's messages
are queued in bulk (:func:`~delphi.mail.outbox.queue_many`, and
:func:`~delphi.mail.links.issue_many` for the magic links): a fixed number of
statements however large the panel, since the caller's transaction holds the
database's write lock meanwhile.

- ``round_opened``: round 1 (or a round with no closed round before it) → an
  *invitation*; a later round → the *feedback* summary of the last closed
  round, which is also the invitation. Both carry a magic link.
- ``response_submitted`` → a *thank-you* (once per response).
- ``round_closed`` → a *closing notice* to the active panel.
- ``delphi.security.account_locked`` → a *lock notice* to the account's owner.
- ``delphi.services.accounts.registration_attempted`` → a notice to the owner of
  the address somebody registered with.
"""
from __future__ import annotations

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import (
    ItemStatistics,
    Panellist,
    PanellistStatus,
    Round,
    RoundStatistics,
    RoundStatus,
    utcnow,
)
from delphi.mail import links
from delphi.mail.outbox import Recipient, existing_keys, queue_many
from delphi.mail.reminders import opt_out_page_url, submitted_panellist_ids
from delphi.security import account_locked
from delphi.services.accounts import registration_attempted
from rounds import signals

CONSENSUS = "consensus_in"


def active_panel(study_id: int) -> list:
    """The active panellists' ``(id, user_id, pseudonym)`` rows (no ORM objects: a panel is large)."""
    return db.session.execute(select(Panellist.id, Panellist.user_id, Panellist.pseudonym).where(
        Panellist.study_id == study_id, Panellist.status == PanellistStatus.active)
        .order_by(Panellist.id)).all()


def previous_closed_round(round: Round) -> Round | None:
    return db.session.scalar(select(Round).where(
        Round.study_id == round.study_id, Round.number < round.number,
        Round.status == RoundStatus.closed).order_by(Round.number.desc()).limit(1))


def feedback_summary(previous: Round, current: Round) -> dict:
    """What the feedback message says about the last closed round (frozen figures, counted)."""
    stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == previous.id))
    verdicts: dict[int, list[str]] = {}
    for item_id, verdict in db.session.execute(select(ItemStatistics.item_id, ItemStatistics.verdict)
                                               .where(ItemStatistics.round_id == previous.id)):
        verdicts.setdefault(item_id, []).append(verdict)
    return {
        "previous_number": previous.number,
        "response_rate": None if stats is None or stats.response_rate is None
        else round(100 * stats.response_rate),
        "items_rated": len(verdicts),
        "items_consensus": sum(1 for v in verdicts.values() if v and all(x == CONSENSUS for x in v)),
        "items_now": len(current.round_items),
    }


def on_round_opened(round: Round, **_extra) -> None:
    now = round.opened_at or utcnow()
    previous = previous_closed_round(round)
    template = "feedback" if previous is not None else "invitation"
    summary = feedback_summary(previous, round) if previous is not None else {}
    panel = active_panel(round.study_id)
    keys = {panellist.id: f"{template}:{round.id}:{panellist.id}" for panellist in panel}
    existing = existing_keys(keys.values())
    fresh = [panellist for panellist in panel if keys[panellist.id] not in existing]
    tokens = links.issue_many(fresh, round, now=now)   # no link for a message already queued
    queue_many(template, [
        Recipient(panellist.user_id, keys[panellist.id],
                  {"link": links.url_for_token(tokens[panellist.id])},
                  {"panellist": panellist.pseudonym})
        for panellist in fresh
    ], round=round, now=now, summary=summary, items=len(round.round_items))


def on_response_submitted(response, **_extra) -> None:
    panellist = db.session.get(Panellist, response.panellist_id)
    round = db.session.get(Round, response.round_id)
    if panellist is None or round is None:
        return
    queue_many("thanks", [Recipient(panellist.user_id, f"thanks:{response.id}")],
               round=round, now=response.submitted_at or utcnow())


def on_round_closed(round: Round, next_round: Round | None = None, **_extra) -> None:
    now = round.closed_at or utcnow()
    submitted = submitted_panellist_ids(round)
    queue_many("closed", [
        Recipient(panellist.user_id, f"closed:{round.id}:{panellist.id}",
                  {"submitted": panellist.id in submitted})
        for panellist in active_panel(round.study_id)
    ], round=round, now=now, next_round=next_round, opt_out_url=opt_out_page_url(round.study_id))


def on_account_locked(user, until=None, lock: int = 1, **_extra) -> None:
    """Tell the owner that failed logins locked their account, and until when."""
    queue_many("locked", [Recipient(user.id, f"locked:{user.id}:{until.isoformat() if until else lock}",
                                    {"until": until, "lock": lock})])


def on_registration_attempted(user, now=None, **_extra) -> None:
    """Tell the owner that somebody registered with their address (at most once
    an hour, so the form cannot be used to flood their mailbox)."""
    now = now or utcnow()
    queue_many("registered", [Recipient(user.id, f"registered:{user.id}:{now:%Y%m%d%H}")], now=now)


_CONNECTED = False


def connect() -> None:
    """Connect the receivers (once per process; blinker signals are global)."""
    global _CONNECTED
    if _CONNECTED:
        return
    signals.round_opened.connect(on_round_opened)
    signals.response_submitted.connect(on_response_submitted)
    signals.round_closed.connect(on_round_closed)
    account_locked.connect(on_account_locked)
    registration_attempted.connect(on_registration_attempted)
    _CONNECTED = True
