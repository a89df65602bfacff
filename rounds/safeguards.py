"""Safeguards: what an irreversible action will do, in numbers, and what to warn about.

The one home of the figures a confirmation step shows ("23 % have answered;
7 days remain") and of the warnings a moderator or the secretariat sees
before acting. The web views render them (``delphi.views.confirm``); nothing
here writes, audits or changes anything: the action itself, once confirmed,
is the service that writes its own (one) audit row.

Each function returns a :class:`Safeguard`: ``consequences`` (sentences
with the figures), ``warnings`` (sentences; an action with warnings needs an
explicit confirmation even where it otherwise would not), ``figures`` (the
numbers themselves, for tests and callers) and ``blocked`` (a reason the
action cannot be done at all, or None).

The JSON API does not ask for confirmation: its callers are explicit
programs that name what they do. It may read these figures.

Definitions used here, and nowhere else:

* **answered**: an active panellist whose response to the round is submitted;
  the **response share** is answered / active panellists.
* **time left**: ``closes_at - now`` of an open round (None without deadline).
* **outside the task force**: a user with no approved membership of the
  study's task force.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.models import (
    ApprovalStatus,
    Membership,
    Panellist,
    PanellistStatus,
    Response,
    ResponseStatus,
    Round,
    RoundKind,
    RoundStatistics,
    RoundStatus,
    Study,
    StudyStatus,
    TaskForceRole,
    User,
)
from rounds.stopping import stopping_reason_text

__all__ = [
    "Safeguard", "approval_safeguard", "close_safeguard", "draft_warnings", "end_safeguard",
    "open_safeguard", "outside_task_force", "panel_add_safeguard", "remind_safeguard", "response_figures",
    "time_left_text", "withdraw_safeguard",
]


@dataclass(frozen=True)
class Safeguard:
    """What a confirmation step shows: sentences, warnings, the raw figures."""

    consequences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    blocked: str | None = None

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings)


# -- figures ---------------------------------------------------------------------

def _active_count(study_id: int) -> int:
    return db.session.scalar(select(func.count(Panellist.id)).where(
        Panellist.study_id == study_id, Panellist.status == PanellistStatus.active)) or 0


def response_figures(round: Round) -> dict:
    """``{"active", "answered", "started", "share"}`` of an open (or any) round:
    ``answered`` active panellists have submitted, ``started`` have a response
    (draft or submitted); ``share`` = answered / active (None with no panel)."""
    active = _active_count(round.study_id)
    rows = dict(db.session.execute(
        select(Response.status, func.count(Response.id))
        .join(Panellist, Panellist.id == Response.panellist_id)
        .where(Response.round_id == round.id, Panellist.status == PanellistStatus.active)
        .group_by(Response.status)).all())
    answered = rows.get(ResponseStatus.submitted, 0)
    return {"active": active, "answered": answered, "started": sum(rows.values()),
            "share": (answered / active) if active else None}


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}\u00a0%"


def time_left_text(closes_at: datetime | None, now: datetime) -> str:
    """"7 days remain", "5 hours remain", "the deadline has passed", "no deadline"."""
    if closes_at is None:
        return _("there is no deadline")
    left = now_or(closes_at) - now
    if left <= timedelta(0):
        return _("the deadline has passed")
    if left >= timedelta(days=1):
        days = left.days
        return ngettext("%(num)d day remains before the deadline",
                        "%(num)d days remain before the deadline", days)
    hours = max(int(left.total_seconds() // 3600), 0)
    if hours >= 1:
        return ngettext("%(num)d hour remains before the deadline",
                        "%(num)d hours remain before the deadline", hours)
    minutes = max(int(left.total_seconds() // 60), 1)
    return ngettext("%(num)d minute remains before the deadline",
                    "%(num)d minutes remain before the deadline", minutes)


# -- rounds ----------------------------------------------------------------------

def close_safeguard(round: Round, *, now=None) -> Safeguard:
    """Closing a round early: the response share and the time left.

    Consequences: "23 % have answered (7 of 30); 7 days remain before the
    deadline", that answers can no longer be given or amended, and that the
    statistics are frozen. A warning when fewer than half have answered or
    the deadline has not passed."""
    now = now_or(now)
    if round.status is not RoundStatus.open:
        return Safeguard(blocked=_("Only an open round can close."))
    figures = response_figures(round)
    left = (now_or(round.closes_at) - now) if round.closes_at else None
    figures.update({"closes_at": round.closes_at, "time_left": left})
    consequences = [
        _("%(share)s have answered (%(answered)d of %(active)d); %(left)s.",
          share=_pct(figures["share"]), answered=figures["answered"], active=figures["active"],
          left=time_left_text(round.closes_at, now)),
        _("Nobody can answer or amend an answer afterwards; the statistics are frozen. "
          "A closed round cannot be reopened."),
    ]
    if figures["started"] > figures["answered"]:
        consequences.append(ngettext(
            "%(num)d panellist has a draft that has not been submitted: it will not count.",
            "%(num)d panellists have drafts that have not been submitted: they will not count.",
            figures["started"] - figures["answered"]))
    warnings = []
    if figures["share"] is not None and figures["share"] < 0.5:
        warnings.append(_("Fewer than half of the panel have answered."))
    if left is not None and left > timedelta(0):
        warnings.append(_("The round closes before its deadline."))
    return Safeguard(consequences, warnings, figures)


def _panel_size_at_opening(round: Round) -> int:
    """Who will be on the panel once ``round`` opens: the active panellists,
    plus (round 1) the approved members ``enrol_panel`` will enrol."""
    study = round.study
    active = _active_count(study.id)
    if study.locked_at is not None and round.number != 1:
        return active
    query = (select(func.count(Membership.id))
             .where(Membership.task_force_id == study.task_force_id,
                    Membership.status == ApprovalStatus.approved)
             .where(~Membership.user_id.in_(
                 select(Panellist.user_id).where(Panellist.study_id == study.id))))
    if study.panel_cutoff is not None:
        query = query.where(Membership.joined_at < study.panel_cutoff)
    return active + (db.session.scalar(query) or 0)


def _last_stopping(study: Study, before: int) -> dict | None:
    """The frozen stopping verdict of the last closed rating round before ``before``."""
    return db.session.scalar(
        select(RoundStatistics.stopping).join(Round, Round.id == RoundStatistics.round_id)
        .where(Round.study_id == study.id, Round.status == RoundStatus.closed,
               Round.kind == RoundKind.rating, Round.number < before)
        .order_by(Round.number.desc()).limit(1))


def draft_warnings(study: Study, number: int | None = None) -> list[str]:
    """Warnings for drafting (or opening) round ``number`` (default: the next
    one): beyond the protocol's maximum number of rounds, or after the
    stopping rule of the last closed round said stop."""
    if number is None:
        number = (db.session.scalar(select(func.max(Round.number))
                                    .where(Round.study_id == study.id)) or 0) + 1
    warnings = []
    if number > study.max_rounds:
        warnings.append(ngettext("Round %(n)d is beyond the protocol's maximum of %(num)d round.",
                                 "Round %(n)d is beyond the protocol's maximum of %(num)d rounds.",
                                 study.max_rounds, n=number))
    stopping = _last_stopping(study, number)
    reasons_given = [r for r in (stopping or {}).get("reasons") or [] if isinstance(r, dict)]
    if warnings:  # the maximum is said already
        reasons_given = [r for r in reasons_given if r.get("code") != "max_rounds"]
    if stopping and stopping.get("stop") and reasons_given:
        reasons = [stopping_reason_text(r) for r in reasons_given]
        warnings.append(" ".join([_("The stopping rule said stop after round %(n)d.",
                                    n=stopping.get("round") or number - 1), *reasons]))
    return warnings


def open_safeguard(round: Round, *, closes_at: datetime | None = None, now=None) -> Safeguard:
    """Opening a draft round: who it goes to, and the warnings (an empty
    panel, no deadline, beyond the maximum, after the stopping rule said stop).
    An empty panel is a warning, not a refusal: panellists may be added later."""
    now = now_or(now)
    if round.status is not RoundStatus.draft:
        return Safeguard(blocked=_("Only a draft round can open."))
    deadline = closes_at or round.closes_at
    panel = _panel_size_at_opening(round)
    figures = {"panel": panel, "items": len(round.round_items), "closes_at": deadline}
    consequences = [ngettext("It goes to %(num)d panellist.", "It goes to %(num)d panellists.", panel)]
    if round.kind is RoundKind.rating:
        consequences.append(ngettext("It asks %(num)d item.", "It asks %(num)d items.",
                                     len(round.round_items)))
    consequences.append(_("Once open, its items cannot change.") if round.kind is RoundKind.rating
                        else _("Once open, the panel can send proposals."))
    if deadline is not None:
        consequences.append(time_left_text(deadline, now).capitalize() + ".")
    warnings = []
    if panel == 0:
        warnings.append(_("The panel is empty: nobody will receive this round."))
    if deadline is None:
        warnings.append(_("The round has no deadline: it stays open until a moderator closes it."))
    warnings += draft_warnings(round.study, round.number)
    return Safeguard(consequences, warnings, figures)


def remind_safeguard(round: Round, chosen: set[int] | None) -> Safeguard:
    """Reminding: ``chosen`` panellist ids (None or empty: nobody ticked, i.e.
    everybody who has not answered). Figures: ``waiting`` (active, not
    submitted), ``targets`` (who would be reminded). Reminding everybody
    always needs confirmation (the warning says how many)."""
    if round.status is not RoundStatus.open:
        return Safeguard(blocked=_("Reminders can only be sent while the round is open."))
    submitted = set(db.session.scalars(select(Response.panellist_id).where(
        Response.round_id == round.id, Response.status == ResponseStatus.submitted)))
    active = set(db.session.scalars(select(Panellist.id).where(
        Panellist.study_id == round.study_id, Panellist.status == PanellistStatus.active)))
    waiting = active - submitted
    everybody = not chosen
    targets = waiting if everybody else (set(chosen) & waiting)
    figures = {"active": len(active), "waiting": len(waiting), "targets": len(targets),
               "everybody": everybody}
    if not targets:
        return Safeguard(figures=figures, blocked=_("Everybody has answered: nobody to remind.")
                         if everybody else _("None of the panellists ticked is waiting for a reminder."))
    consequences = [ngettext("%(num)d panellist will be reminded by e-mail.",
                             "%(num)d panellists will be reminded by e-mail.", len(targets)),
                    _("%(answered)d of %(active)d have answered.", answered=len(active & submitted),
                      active=len(active))]
    warnings = []
    if everybody:
        warnings.append(ngettext(
            "Nobody is ticked: this reminds the %(num)d panellist who has not answered.",
            "Nobody is ticked: this reminds all %(num)d panellists who have not answered.",
            len(targets)))
    return Safeguard(consequences, warnings, figures)


# -- studies and the panel -----------------------------------------------------------

def end_safeguard(study: Study) -> Safeguard:
    """Ending a study: what stays, what can no longer happen."""
    if study.status is StudyStatus.ended:
        return Safeguard(blocked=_("This study has ended already."))
    rounds = list(db.session.scalars(select(Round).where(Round.study_id == study.id)
                                      .order_by(Round.number)))
    open_ = [r.number for r in rounds if r.status is RoundStatus.open]
    if open_:
        return Safeguard(blocked=_("Close round %(n)d before ending the study.", n=open_[0]))
    closed = sum(r.status is RoundStatus.closed for r in rounds)
    drafts = [r.number for r in rounds if r.status is RoundStatus.draft]
    figures = {"closed": closed, "drafts": drafts, "active": _active_count(study.id),
               "max_rounds": study.max_rounds}
    consequences = [
        ngettext("%(num)d round is closed; its results stay as they are.",
                 "%(num)d rounds are closed; their results stay as they are.", closed),
        _("No round can open afterwards, and the study cannot be reopened."),
        ngettext("%(num)d panellist is on the panel.", "%(num)d panellists are on the panel.",
                 figures["active"]),
    ]
    if drafts:
        consequences.append(_("Draft round %(n)d will never open.", n=drafts[0]))
    warnings = []
    if closed < study.max_rounds and not _stopped(study):
        warnings.append(_("The stopping rule has not said stop: %(closed)d of at most %(max)d "
                          "rounds are closed.", closed=closed, max=study.max_rounds))
    return Safeguard(consequences, warnings, figures)


def _stopped(study: Study) -> bool:
    stopping = _last_stopping(study, 10**6)
    return bool(stopping and stopping.get("stop"))


def withdraw_safeguard(panellist: Panellist, *, by_self: bool) -> Safeguard:
    """Withdrawing a panellist (``by_self``: the panellist withdraws): what
    happens to their answers."""
    if panellist.status is PanellistStatus.withdrawn:
        return Safeguard(blocked=_("This panellist has withdrawn already."))
    rows = db.session.execute(
        select(Round.number, Round.status, Response.status)
        .join(Response, Response.round_id == Round.id)
        .where(Response.panellist_id == panellist.id).order_by(Round.number)).all()
    closed = sum(1 for _n, rs, st in rows if rs is RoundStatus.closed and st is ResponseStatus.submitted)
    open_answers = [n for n, rs, _st in rows if rs is RoundStatus.open]
    figures = {"closed_answered": closed, "open_answered": open_answers}
    consequences = []
    if open_answers:
        consequences.append(
            _("Your answers to the open round %(n)d will not count.", n=open_answers[0]) if by_self
            else _("Their answers to the open round %(n)d will not count.", n=open_answers[0]))
    if by_self:
        consequences.append(ngettext(
            "Your answers to %(num)d closed round stay in its results, under your pseudonym only.",
            "Your answers to %(num)d closed rounds stay in their results, under your pseudonym only.",
            closed))
        consequences.append(_("You will receive no more rounds or reminders of this study. "
                              "Only a moderator can put you back on the panel."))
    else:
        consequences.append(ngettext(
            "Their answers to %(num)d closed round stay in its results.",
            "Their answers to %(num)d closed rounds stay in their results.", closed))
        consequences.append(_("They will receive no more rounds or reminders of this study."))
    return Safeguard(consequences, [], figures)


def _approved_member(study: Study, user: User) -> bool:
    return db.session.scalar(select(Membership.id).where(
        Membership.task_force_id == study.task_force_id, Membership.user_id == user.id,
        Membership.status == ApprovalStatus.approved).limit(1)) is not None


def panel_add_safeguard(study: Study, user: User) -> Safeguard:
    """Adding ``user`` to the panel: a warning when they are outside the task force."""
    active = db.session.scalar(select(Panellist.id).where(
        Panellist.study_id == study.id, Panellist.user_id == user.id,
        Panellist.status == PanellistStatus.active))
    if active is not None:
        return Safeguard(blocked=_("This person is on the panel already."))
    warnings = []
    if not _approved_member(study, user):
        warnings.append(_("%(name)s is not an approved member of task force %(code)s.",
                          name=user.name, code=study.task_force.code))
    return Safeguard([_("%(name)s will answer the open and later rounds of this study.",
                        name=user.name)], warnings, {"outside": bool(warnings)})


def approval_safeguard(membership: Membership) -> Safeguard:
    """Approving an application: a warning when it would make a second Global
    Leader of the task force."""
    warnings = []
    leaders = 0
    if membership.role is TaskForceRole.global_leader:
        leaders = db.session.scalar(select(func.count(Membership.id)).where(
            Membership.task_force_id == membership.task_force_id,
            Membership.role == TaskForceRole.global_leader,
            Membership.status == ApprovalStatus.approved,
            Membership.id != membership.id)) or 0
        if leaders:
            warnings.append(ngettext(
                "Task force %(code)s has %(num)d approved Global Leader already.",
                "Task force %(code)s has %(num)d approved Global Leaders already.",
                leaders, code=membership.task_force.code))
    return Safeguard([], warnings, {"leaders": leaders})


def outside_task_force(study: Study) -> set[int]:
    """Ids of the study's active panellists who are not approved members of its
    task force (the study page marks them)."""
    members = select(Membership.user_id).where(
        Membership.task_force_id == study.task_force_id, Membership.status == ApprovalStatus.approved)
    return set(db.session.scalars(select(Panellist.id).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.active,
        ~Panellist.user_id.in_(members))))
