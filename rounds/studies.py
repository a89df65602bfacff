"""Studies: the protocol, its lock and amendments, the staff, the end."""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from analysis import QUANTILE_METHODS, ConsensusRule
from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import Conflict, Forbidden, InvalidInput, NotFound, StateError
from delphi.core.jsonable import jsonable
from delphi.core.models import (
    Amendment,
    CarryForward,
    Round,
    RoundStatus,
    StaffRole,
    Study,
    StudyStaff,
    StudyStatus,
    TaskForce,
    User,
)

SCALES = (5, 7, 9)
MAX_CRITERIA = 3
_CRITERION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: The protocol fields ``update_protocol`` accepts (``consensus`` is the
#: ``Study.consensus_rule`` column).
PROTOCOL_FIELDS = (
    "title", "description", "scale_points", "scale_labels", "criteria", "consensus",
    "quantile_method", "min_n", "max_rounds", "stop_when_settled", "stop_w_threshold",
    "panel_cutoff", "show_distribution", "show_median_iqr", "show_comments",
    "require_reason_outside_iqr", "carry_forward",
)
#: Fields that can never change once the protocol is locked.
FROZEN_WHEN_LOCKED = ("scale_points", "criteria")


def default_scale_labels(points: int, language: str = "en") -> list[str]:
    """One label per scale point, lowest first, in ``language``."""
    if points not in SCALES:
        raise InvalidInput(_("Invalid input."),
                           fields={"scale_points": _("Choose 5, 7 or 9 points.")})
    with force_locale(language or "en"):
        if points == 5:
            return [_("Very low"), _("Low"), _("Medium"), _("High"), _("Very high")]
        if points == 7:
            return [_("Very low"), _("Low"), _("Rather low"), _("Medium"), _("Rather high"),
                    _("High"), _("Very high")]
        labels = [str(v) for v in range(1, 10)]
        labels[0] = _("1 (very low)")
        labels[4] = _("5 (uncertain)")
        labels[8] = _("9 (very high)")
        return labels


def scale_labels_in(study: Study, language: str | None) -> list[str]:
    """The study's scale labels for a reader of ``language``.

    Labels the moderator wrote are shown as written; the default labels
    (stored in English when the study was created) are shown translated.
    """
    labels = list(study.scale_labels or [])
    if study.scale_points in SCALES and labels == default_scale_labels(study.scale_points, "en"):
        return default_scale_labels(study.scale_points, language or "en")
    return labels


def default_consensus(points: int) -> dict:
    """The default consensus definition for a scale (see the contract)."""
    if points == 9:
        return {"kind": "rand_ucla"}
    return {"kind": "rule", "iqr_max": 1.0, "agreement_min": 0.7}


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


# --- validation --------------------------------------------------------------

def _check_protocol(values: dict) -> dict:
    """Validate and normalise protocol values; raise InvalidInput naming each field."""
    errors: dict[str, str] = {}
    out = dict(values)
    if "title" in out:
        title = " ".join(str(out["title"] or "").split())
        if not title:
            errors["title"] = _("This field is required.")
        elif len(title) > 300:
            errors["title"] = _("Use at most %(n)d characters.", n=300)
        out["title"] = title
    if "description" in out:
        out["description"] = str(out["description"] or "")
    points = out.get("scale_points")
    if "scale_points" in out and (isinstance(points, bool) or points not in SCALES):
        errors["scale_points"] = _("Choose 5, 7 or 9 points.")
    if "scale_labels" in out and out["scale_labels"] is not None:
        labels = out["scale_labels"]
        if (not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in labels)
                or (points in SCALES and len(labels) != points)):
            errors["scale_labels"] = _("Give one label for each scale point.")
        else:
            out["scale_labels"] = [x.strip() for x in labels]
    if "criteria" in out:
        criteria = out["criteria"]
        if isinstance(criteria, str):
            criteria = [criteria]
        criteria = [str(c).strip().lower() for c in (criteria or ())]
        if not 1 <= len(criteria) <= MAX_CRITERIA:
            errors["criteria"] = _("Choose one to three criteria.")
        elif len(set(criteria)) != len(criteria):
            errors["criteria"] = _("Each criterion may appear only once.")
        elif not all(_CRITERION.match(c) for c in criteria):
            errors["criteria"] = _("A criterion is a short lower-case word, such as importance.")
        out["criteria"] = criteria
    if "consensus" in out and out["consensus"] is not None:
        spec = out["consensus"]
        if not isinstance(spec, dict):
            errors["consensus"] = _("Invalid consensus rule.")
        else:
            spec = dict(spec)
            kind = spec.pop("kind", "rule")
            if kind == "rand_ucla":
                if points is not None and points != 9:
                    errors["consensus"] = _("RAND/UCLA needs a 9-point scale.")
                out["consensus"] = {"kind": "rand_ucla"}
            elif kind != "rule":
                errors["consensus"] = _("Invalid consensus rule.")
            else:
                spec.pop("min_n", None)  # the study's min_n applies
                try:
                    rule = ConsensusRule.from_dict(spec)
                except (ValueError, TypeError) as error:
                    errors["consensus"] = _("Invalid consensus rule: %(error)s", error=str(error))
                else:
                    data = rule.to_dict()
                    data.pop("min_n", None)
                    if points is not None and data.get("median_range"):
                        lo, hi = data["median_range"]
                        if lo < 1 or hi > points:
                            errors["consensus"] = _("The median range must lie on the scale.")
                    out["consensus"] = {"kind": "rule", **data}
    if "quantile_method" in out and out["quantile_method"] not in QUANTILE_METHODS:
        errors["quantile_method"] = _("Choose type7, type6 or hinges.")
    for name, low, high in (("min_n", 1, 10_000), ("max_rounds", 1, 20)):
        if name in out:
            value = out[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
    if "stop_w_threshold" in out and out["stop_w_threshold"] is not None:
        value = out["stop_w_threshold"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            errors["stop_w_threshold"] = _("Enter a number above 0 and at most 1, or nothing.")
        else:
            out["stop_w_threshold"] = float(value)
    for name in ("stop_when_settled", "show_distribution", "show_median_iqr", "show_comments",
                 "require_reason_outside_iqr"):
        if name in out and not isinstance(out[name], bool):
            errors[name] = _("Answer yes or no.")
    if "carry_forward" in out:
        try:
            out["carry_forward"] = CarryForward(getattr(out["carry_forward"], "value", out["carry_forward"]))
        except ValueError:
            errors["carry_forward"] = _("Choose no_consensus or all.")
    if "panel_cutoff" in out and out["panel_cutoff"] is not None:
        if not isinstance(out["panel_cutoff"], datetime):
            errors["panel_cutoff"] = _("Enter a date.")
        else:
            out["panel_cutoff"] = now_or(out["panel_cutoff"])
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return out


def _task_force(task_force) -> TaskForce:
    if isinstance(task_force, TaskForce):
        return task_force
    found = db.session.scalar(select(TaskForce).where(TaskForce.code == str(task_force or "").upper()))
    if found is None:
        raise InvalidInput(_("Invalid input."), fields={"task_force": _("There is no such task force.")})
    return found


# --- studies -----------------------------------------------------------------

def create_study(task_force, title, *, actor, description="", scale_points=5, scale_labels=None,
                 criteria=("importance",), consensus=None, quantile_method="type7", min_n=5,
                 max_rounds=3, stop_when_settled=True, stop_w_threshold=None, panel_cutoff=None,
                 show_distribution=True, show_median_iqr=True, show_comments=True,
                 require_reason_outside_iqr=False, carry_forward="no_consensus",
                 now=None) -> Study:
    """Create a study of a task force (a :class:`TaskForce` or its code). Audited."""
    now = now_or(now)
    tf = _task_force(task_force)
    values = _check_protocol({
        "title": title, "description": description, "scale_points": scale_points,
        "scale_labels": scale_labels, "criteria": criteria,
        "consensus": consensus if consensus is not None else (
            default_consensus(scale_points) if scale_points in SCALES else None),
        "quantile_method": quantile_method, "min_n": min_n, "max_rounds": max_rounds,
        "stop_when_settled": stop_when_settled, "stop_w_threshold": stop_w_threshold,
        "panel_cutoff": panel_cutoff, "show_distribution": show_distribution,
        "show_median_iqr": show_median_iqr, "show_comments": show_comments,
        "require_reason_outside_iqr": require_reason_outside_iqr, "carry_forward": carry_forward,
    })
    if values["consensus"].get("kind") == "rand_ucla" and values["quantile_method"] == "hinges":
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"quantile_method": _("RAND/UCLA uses type7 or type6.")})
    consensus_spec = values.pop("consensus")
    if values["scale_labels"] is None:
        values["scale_labels"] = default_scale_labels(values["scale_points"])
    study = Study(task_force_id=tf.id, consensus_rule=consensus_spec,
                  pseudonym_secret=secrets.token_hex(32), created_at=now,
                  status=StudyStatus.draft, **values)
    db.session.add(study)
    db.session.flush()
    audit.record(actor, "study.create", study, details={"task_force": tf.code, "title": study.title},
                 now=now)
    return study


def _current(study: Study, name: str):
    if name == "consensus":
        return study.consensus_rule
    return getattr(study, name)


def update_protocol(study: Study, changes: dict, *, actor, reason=None, now=None) -> list[Amendment]:
    """Change the protocol.

    Before round 1 opens this is a plain update (returns ``[]``). Afterwards
    every changed field becomes an :class:`Amendment` with ``reason``
    (required: ``InvalidInput`` on ``reason`` otherwise); ``scale_points`` and
    ``criteria`` can then no longer change (``StateError``). Unknown fields
    raise ``InvalidInput``. Audited.
    """
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    unknown = sorted(set(changes) - set(PROTOCOL_FIELDS))
    if unknown:
        raise InvalidInput(_("Invalid input."),
                           fields={name: _("This is not a protocol field.") for name in unknown})
    merged = {"scale_points": study.scale_points, **changes}
    values = _check_protocol(merged)
    if "scale_points" not in changes:
        values.pop("scale_points")
    points = values.get("scale_points", study.scale_points)
    if "scale_points" in changes and "scale_labels" not in changes:
        values["scale_labels"] = default_scale_labels(points)
    if "scale_labels" in values and values["scale_labels"] is None:
        values["scale_labels"] = default_scale_labels(points)
    if "scale_points" in changes and "consensus" not in changes:
        kind = (study.consensus_rule or {}).get("kind")
        if (points == 9) != (kind == "rand_ucla"):
            values["consensus"] = default_consensus(points)
    spec = values.get("consensus", study.consensus_rule)
    if spec.get("kind") == "rand_ucla" and points != 9:
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"consensus": _("RAND/UCLA needs a 9-point scale.")})
    if spec.get("kind") == "rand_ucla" and values.get("quantile_method", study.quantile_method) == "hinges":
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"quantile_method": _("RAND/UCLA uses type7 or type6.")})
    changed = {k: v for k, v in values.items() if jsonable(_current(study, k)) != jsonable(v)}
    amendments: list[Amendment] = []
    if study.locked_at is not None and changed:
        frozen = [k for k in FROZEN_WHEN_LOCKED if k in changed]
        if frozen:
            raise StateError(_("The scale and the criteria cannot change once round 1 has opened."))
        if not (reason or "").strip():
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"reason": _("Give the reason for this amendment.")})
        for name, value in changed.items():
            amendment = Amendment(study_id=study.id, at=now, actor_id=getattr(actor, "id", None),
                                  field=name, old_value=jsonable(_current(study, name)),
                                  new_value=jsonable(value), reason=reason.strip())
            db.session.add(amendment)
            amendments.append(amendment)
    for name, value in changed.items():
        setattr(study, "consensus_rule" if name == "consensus" else name, value)
    if changed:
        audit.record(actor, "study.amend" if study.locked_at else "study.update", study,
                     details={"fields": sorted(changed), "reason": (reason or "").strip() or None},
                     now=now)
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
