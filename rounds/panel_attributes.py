"""Who the panellists are: their attributes, the panel's composition, and who
has not answered yet.

The attributes come from :func:`delphi.core.attributes.member_attributes`
(one rule per attribute, e.g. the region: the task-force membership's,
else the profile's); the dashboard, the exports and the report all read
them through :func:`panel_attributes`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from delphi.core.attributes import attribute_values, member_attributes
from delphi.core.database import db
from delphi.core.models import (
    ApprovalStatus,
    Membership,
    Panellist,
    PanellistStatus,
    Response,
    ResponseStatus,
    Round,
    Study,
    User,
)

#: The dimensions of the composition tables.
COMPOSITION_DIMENSIONS = ("role", "region", "stakeholder_group", "organisation_status", "language")


def panel_attributes(study: Study) -> dict[int, dict[str, str]]:
    """Per panellist id of the study (withdrawn ones too): ``{role, region,
    stakeholder_group, organisation_status, language}``."""
    query = member_attributes(study.task_force_id, Panellist.id).join(
        Panellist, Panellist.user_id == User.id).where(Panellist.study_id == study.id)
    return {pid: attribute_values(*values) for pid, *values in db.session.execute(query)}


def composition(study: Study) -> dict[str, list[dict]]:
    """The active panel against the task force's approved members, per dimension:
    ``{dimension: [{"value", "panel", "task_force", "panel_share",
    "task_force_share"}], "totals": [...]}``."""
    active = set(db.session.scalars(select(Panellist.id).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.active)))
    attributes = panel_attributes(study)
    panel = {d: Counter(a[d] for pid, a in attributes.items() if pid in active)
             for d in COMPOSITION_DIMENSIONS}
    members = [attribute_values(*values) for _uid, *values in db.session.execute(
        member_attributes(study.task_force_id, User.id)
        .where(Membership.status == ApprovalStatus.approved))]
    task_force = {d: Counter(m[d] for m in members) for d in COMPOSITION_DIMENSIONS}
    n_panel, n_tf = len(active), len(members)
    out: dict[str, list[dict]] = {}
    for d in COMPOSITION_DIMENSIONS:
        out[d] = [{
            "value": v, "panel": panel[d][v], "task_force": task_force[d][v],
            "panel_share": panel[d][v] / n_panel if n_panel else None,
            "task_force_share": task_force[d][v] / n_tf if n_tf else None,
        } for v in sorted(set(panel[d]) | set(task_force[d]))]
    out["totals"] = [{"value": "total", "panel": n_panel, "task_force": n_tf}]
    return out


@dataclass(frozen=True)
class NonResponder:
    panellist_id: int
    pseudonym: str
    name: str | None
    started: bool


def non_responders(rnd: Round, *, with_names: bool) -> list[NonResponder]:
    """Active panellists who have not submitted this round. ``with_names`` only
    for moderators (to remind them); researchers get pseudonyms only."""
    responses = dict(db.session.execute(
        select(Response.panellist_id, Response.status).where(Response.round_id == rnd.id)).all())
    query = (select(Panellist.id, Panellist.pseudonym, User.name)
             .join(User, Panellist.user_id == User.id)
             .where(Panellist.study_id == rnd.study_id, Panellist.status == PanellistStatus.active)
             .order_by(User.name, Panellist.id))
    out = []
    for pid, pseudonym, name in db.session.execute(query):
        status = responses.get(pid)
        if status is ResponseStatus.submitted:
            continue
        out.append(NonResponder(pid, pseudonym, name if with_names else None,
                                started=status is not None))
    return out


def panellists_by_ids(study: Study, ids: list[int]) -> list[Panellist]:
    """Active panellists of ``study`` among ``ids`` (for the Remind action)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.id.in_(ids),
        Panellist.status == PanellistStatus.active)))
