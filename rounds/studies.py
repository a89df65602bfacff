"""Studies: creation, the protocol's lock and amendments, the staff, the end.

The protocol itself (its value, defaults and validator) is
:mod:`rounds.protocol`.
"""
from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from analysis import ConsensusRule
from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import Conflict, Forbidden, InvalidInput, NotFound, StateError
from delphi.core.models import (
    Amendment,
    Round,
    RoundStatus,
    StaffRole,
    Study,
    StudyStaff,
    StudyStatus,
    TaskForce,
    User,
)
from delphi.core.policy import DEFAULT_POLICY
from delphi.core.text import text_problem
from rounds.consent import create_standard_version
from rounds.protocol import Protocol
from rounds.protocol_checks import (
    INPUT_FIELDS,
    SCALES,
    check_reason,
    default_consensus,
    default_scale_labels,
)
from rounds.translations import study_scale_labels

__all__ = [
    "FROZEN_WHEN_LOCKED", "PROTOCOL_FIELDS", "SCALES", "Protocol", "agree_band", "assign_staff",
    "consensus_rule", "create_study", "default_consensus", "default_scale_labels", "end_study",
    "lock_protocol", "remove_staff", "scale_labels_in", "update_protocol", "uses_rand_ucla",
]

#: The protocol fields ``update_protocol`` accepts (``consensus`` is the
#: ``Study.consensus_rule`` column).
PROTOCOL_FIELDS = INPUT_FIELDS
#: Fields that can never change once the protocol is locked.
FROZEN_WHEN_LOCKED = ("scale_points", "criteria")


def scale_labels_in(study: Study, language: str | None) -> list[str]:
    """The study's scale labels for a reader of ``language``.

    The default labels (stored in English when the study was created) are
    shown translated; labels the moderator wrote are shown in the study's
    translation into ``language`` where given, else as written
    (:func:`rounds.translations.study_scale_labels`).
    """
    return study_scale_labels(study, language)


def consensus_rule(study: Study) -> ConsensusRule | None:
    """The study's :class:`analysis.ConsensusRule` (``min_n`` from the study), or
    None when the study uses RAND/UCLA."""
    spec = dict(study.consensus_rule or {})
    if spec.pop("kind", "rule") == "rand_ucla":
        return None
    spec["min_n"] = study.min_n
    return ConsensusRule.from_dict(spec)


def agree_band(study: Study) -> tuple[int, int]:
    """The agreement band: the top two points on 5/7 points, 7–9 on 9 points."""
    points = study.scale_points
    if points == 9:
        return (7, 9)
    return (points - 1, points)


def uses_rand_ucla(study: Study) -> bool:
    return (study.consensus_rule or {}).get("kind") == "rand_ucla"


def _task_force(task_force) -> TaskForce:
    if isinstance(task_force, TaskForce):
        return task_force
    code = str(task_force or "").upper()
    found = None if len(code) > 8 or text_problem(code) else db.session.scalar(
        select(TaskForce).where(TaskForce.code == code))
    if found is None:
        raise InvalidInput(_("Invalid input."), fields={"task_force": _("There is no such task force.")})
    return found


# --- studies -----------------------------------------------------------------

def create_study(task_force, title, *, actor, description="", scale_points=5, scale_labels=None,
                 criteria=("importance",), consensus=None, quantile_method="type7", min_n=5,
                 max_rounds=3, stop_when_settled=True, stop_w_threshold=None, panel_cutoff=None,
                 show_distribution=True, show_median_iqr=True, show_comments=True,
                 require_reason_outside_iqr=False, carry_forward="no_consensus",
                 time_zone="UTC", kind_consensus=None, feedback_strata="none",
                 moderate_comments=False, withdrawal="keep", policy=DEFAULT_POLICY,
                 now=None) -> Study:
    """Create a study of a task force (a :class:`TaskForce` or its code). Audited.

    The protocol is checked by :meth:`Protocol.validate`; a wrong task force
    and wrong protocol fields are reported together in one ``InvalidInput``.
    """
    now = now_or(now)
    errors: dict[str, str] = {}
    try:
        tf = _task_force(task_force)
    except InvalidInput as error:
        errors.update(error.fields or {})
    try:
        protocol = Protocol.validate({
            "title": title, "description": description, "scale_points": scale_points,
            "scale_labels": scale_labels, "criteria": criteria, "consensus": consensus,
            "quantile_method": quantile_method, "min_n": min_n, "max_rounds": max_rounds,
            "stop_when_settled": stop_when_settled, "stop_w_threshold": stop_w_threshold,
            "panel_cutoff": panel_cutoff, "time_zone": time_zone,
            "show_distribution": show_distribution, "show_median_iqr": show_median_iqr,
            "show_comments": show_comments, "require_reason_outside_iqr": require_reason_outside_iqr,
            "carry_forward": carry_forward, "kind_consensus": kind_consensus,
            "feedback_strata": feedback_strata, "moderate_comments": moderate_comments,
            "withdrawal": withdrawal})
    except InvalidInput as error:
        errors.update(error.fields or {})
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    study = Study(task_force_id=tf.id, pseudonym_secret=secrets.token_hex(32), created_at=now,
                  status=StudyStatus.draft, **protocol.columns())
    db.session.add(study)
    db.session.flush()
    study.task_force = tf
    create_standard_version(study, actor=actor, policy=policy, now=now)
    audit.record(actor, "study.create", study, details={"task_force": tf.code, "title": study.title},
                 now=now)
    return study


def _merged(current: Protocol, changes: dict) -> dict:
    """The full input of a change: the current protocol with ``changes`` on top.

    A ``consensus`` dict patches the current rule (keys it lacks keep their
    value), and so does a ``kind_consensus`` dict, kind by kind. A new scale without labels takes the default labels, and without
    a consensus rule the default rule when it moves to or from 9 points. A
    new time zone keeps a date-only cut-off on the same date.
    """
    values = current.as_input()
    changes = dict(changes)
    points = changes.get("scale_points", current.scale_points)
    moved = points != current.scale_points
    if moved and "scale_labels" not in changes:
        values["scale_labels"] = None
    spec = changes.get("consensus")
    if isinstance(spec, dict) and spec.get("kind", "rule") == "rule" and not current.uses_rand_ucla:
        changes["consensus"] = {**values["consensus"], **spec}
    elif moved and "consensus" not in changes and (points == 9) != current.uses_rand_ucla:
        values["consensus"] = default_consensus(points) if points in SCALES else None
    kinds = changes.get("kind_consensus")
    if isinstance(kinds, dict) and all(isinstance(v, dict) for v in kinds.values()):
        changes["kind_consensus"] = {kind: {**current.kind_consensus.get(kind, {}), **kinds.get(kind, {})}
                                     for kind in {*current.kind_consensus, *kinds}}
    if ("time_zone" in changes and "panel_cutoff" not in changes and current.cutoff_is_day_start):
        values["panel_cutoff"] = current.local_cutoff.date()
    values.update(changes)
    return values


def update_protocol(study: Study, changes: dict, *, actor, reason=None, now=None) -> list[Amendment]:
    """Change the protocol: ``changes`` maps input names (:data:`PROTOCOL_FIELDS`)
    to new values; what it leaves out keeps its value.

    Before round 1 opens this is a plain update (returns ``[]``). Afterwards
    every changed field becomes an :class:`Amendment` with ``reason``
    (required: ``InvalidInput`` on ``reason`` otherwise); ``scale_points`` and
    ``criteria`` can then no longer change (``StateError``). Unknown fields
    raise ``InvalidInput``. A change that changes nothing writes nothing (no
    amendment, no audit row). Audited.
    """
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    unknown = sorted(set(changes) - set(PROTOCOL_FIELDS), key=str)
    if unknown:
        raise InvalidInput(_("Invalid input."), fields={
            str(name)[:64]: _("This is not a protocol field.") for name in unknown})
    current = Protocol.from_study(study)
    new = Protocol.validate(_merged(current, changes))
    changed = new.changes_from(current)
    if not changed:
        return []
    reason = check_reason(reason)
    amendments: list[Amendment] = []
    if study.locked_at is not None:
        if any(name in changed for name in FROZEN_WHEN_LOCKED):
            raise StateError(_("The scale and the criteria cannot change once round 1 has opened."))
        if not reason:
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"reason": _("Give the reason for this amendment.")})
        for name, (old, value) in changed.items():
            amendment = Amendment(study_id=study.id, at=now, actor_id=getattr(actor, "id", None),
                                  field=name, old_value=old, new_value=value, reason=reason)
            db.session.add(amendment)
            amendments.append(amendment)
    columns = new.columns()
    for name in changed:
        column = "consensus_rule" if name == "consensus" else name
        setattr(study, column, columns[column])
    audit.record(actor, "study.amend" if study.locked_at else "study.update", study,
                 details={"fields": sorted(changed), "reason": reason}, now=now)
    db.session.flush()
    return amendments


def lock_protocol(study: Study, *, now=None) -> None:
    """Lock the protocol (round 1 opens): later changes are amendments."""
    if study.locked_at is None:
        study.locked_at = now_or(now)
    if study.status is StudyStatus.draft:
        study.status = StudyStatus.running


def assign_staff(study: Study, user: User, role: StaffRole, *, actor, now=None) -> StudyStaff:
    """Make ``user`` a moderator or researcher of the study (admins only; audited)."""
    if not getattr(actor, "is_admin", False):
        raise Forbidden(_("Only the secretariat may assign moderators and researchers."))
    role = StaffRole(getattr(role, "value", role))
    existing = db.session.scalar(select(StudyStaff).where(
        StudyStaff.study_id == study.id, StudyStaff.user_id == user.id, StudyStaff.role == role))
    if existing is not None:
        raise Conflict(_("%(name)s is already %(role)s of this study.", name=user.name,
                         role=_role_label(role)))
    staff = StudyStaff(study_id=study.id, user_id=user.id, role=role)
    db.session.add(staff)
    db.session.flush()
    audit.record(actor, "study.staff.assign", study,
                 details={"user_id": user.id, "role": role.value}, now=now_or(now))
    return staff


def remove_staff(study: Study, user: User, role: StaffRole, *, actor, now=None) -> None:
    """Remove a moderator or researcher (admins only; audited)."""
    if not getattr(actor, "is_admin", False):
        raise Forbidden(_("Only the secretariat may assign moderators and researchers."))
    role = StaffRole(getattr(role, "value", role))
    staff = db.session.scalar(select(StudyStaff).where(
        StudyStaff.study_id == study.id, StudyStaff.user_id == user.id, StudyStaff.role == role))
    if staff is None:
        raise NotFound(_("This person has no such role in this study."))
    db.session.delete(staff)
    db.session.flush()
    audit.record(actor, "study.staff.remove", study,
                 details={"user_id": user.id, "role": role.value}, now=now_or(now))


def _role_label(role: StaffRole) -> str:
    return _("moderator") if role is StaffRole.moderator else _("researcher")


def end_study(study: Study, *, actor, reason="", now=None) -> Study:
    """End the study (audited). An open round must be closed first; a draft
    round is left as it is (it can no longer open)."""
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended already."))
    open_round = db.session.scalar(select(Round.number).where(
        Round.study_id == study.id, Round.status == RoundStatus.open))
    if open_round is not None:
        raise StateError(_("Close round %(n)d before ending the study.", n=open_round))
    study.status = StudyStatus.ended
    study.ended_at = now
    db.session.flush()
    audit.record(actor, "study.end", study, details={"reason": (reason or "").strip() or None}, now=now)
    return study
