"""A member's own data, for them to download (issue 12, part 6: the right of access).

One JSON document: the profile, the task-force memberships, and per study the
panellist's pseudonym, status and every answer they gave (drafts and the
answers that count, comments and reasons) and the consents they gave to its
information sheet (which version, when, in which language), with the
consent recorded at registration. Never another person's data, never a password hash, a token or
a study's pseudonym secret.
"""
from __future__ import annotations

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.jsonable import jsonable
from delphi.core.models import (
    ConsentRecord,
    Item,
    ItemComment,
    Membership,
    Panellist,
    Proposal,
    Rating,
    Response,
    Round,
    Study,
    TaskForce,
    User,
    utcnow,
)

FORMAT = "delphi-own-data/1"


def own_data(user: User, *, now=None) -> dict:
    """The JSON-ready document of everything the engine holds about ``user``'s
    own contributions."""
    region = getattr(user.region, "name", None)
    organisation = getattr(user.organisation, "name", None)
    profile = {"name": user.name, "email": user.email, "organisation": organisation,
               "country": user.country, "region": region,
               "stakeholder_group": user.stakeholder_group, "language": user.language,
               "consent_at": user.consent_at, "consent_version": user.consent_version}
    memberships = [
        {"task_force": code, "role": m.role.value, "status": m.status.value,
         "joined_at": m.joined_at}
        for m, code in db.session.execute(
            select(Membership, TaskForce.code).join(TaskForce, TaskForce.id == Membership.task_force_id)
            .where(Membership.user_id == user.id).order_by(Membership.id))]
    studies = []
    for panellist, study in db.session.execute(
            select(Panellist, Study).join(Study, Study.id == Panellist.study_id)
            .where(Panellist.user_id == user.id).order_by(Panellist.id)):
        rounds_out = []
        for response, number in db.session.execute(
                select(Response, Round.number).join(Round, Round.id == Response.round_id)
                .where(Response.panellist_id == panellist.id).order_by(Round.number)):
            codes = dict(db.session.execute(
                select(Item.id, Item.code).where(Item.study_id == study.id)).all())
            ratings = [{"item": codes.get(r.item_id, r.item_id), "criterion": r.criterion,
                        "value": r.value, "answer": r.answer, "reason": r.reason}
                       for r in db.session.scalars(select(Rating).where(
                           Rating.response_id == response.id).order_by(Rating.id))]
            comments = [{"item": codes.get(c.item_id, c.item_id), "text": c.text}
                        for c in db.session.scalars(select(ItemComment).where(
                            ItemComment.response_id == response.id).order_by(ItemComment.id))]
            rounds_out.append({"round": number, "status": response.status.value,
                               "submitted_at": response.submitted_at,
                               "counted": bool(response.counted), "draft": response.draft or {},
                               "ratings": ratings, "comments": comments})
        proposals = [{"round": number, "text": p.text} for p, number in db.session.execute(
            select(Proposal, Round.number).join(Round, Round.id == Proposal.round_id)
            .where(Proposal.panellist_id == panellist.id).order_by(Proposal.id))]
        consents = [{"version": record.version.version, "accepted_at": record.accepted_at,
                     "language": record.language,
                     "consent_text": record.version.text_in("consent_text", record.language)}
                    for record in db.session.scalars(select(ConsentRecord).where(
                        ConsentRecord.panellist_id == panellist.id).order_by(ConsentRecord.id))]
        studies.append({"study": study.title, "task_force_id": study.task_force_id,
                        "pseudonym": panellist.pseudonym, "status": panellist.status.value,
                        "enrolled_at": panellist.enrolled_at, "withdrawn_at": panellist.withdrawn_at,
                        "consents": consents, "rounds": rounds_out, "proposals": proposals})
    return jsonable({"format": FORMAT, "exported_at": now or utcnow(), "profile": profile,
                     "memberships": memberships, "studies": studies})
