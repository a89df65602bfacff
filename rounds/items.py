"""Items: statements to rate, their translations, targets and lineage.

Every change is audited here, with the actor the caller passes in, so the
web, the API and the CLI write the same rows.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import InvalidInput, StateError
from delphi.core.models import (
    Indicator,
    Item,
    Proposal,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    StudyStatus,
    TaskForce,
)
from delphi.core.text import text_problem
from rounds.kinds import KIND_NAMES, kind_of

TARGETS = (None, "2030", "2050")


def _check(text=None, background=None, target=None, translations=None, *, text_required=True) -> dict:
    errors: dict[str, str] = {}
    out = {}
    if text is not None or text_required:
        text = (text or "").strip() if isinstance(text, str) or text is None else str(text)
        if not text:
            errors["text"] = _("This field is required.")
        elif len(text) > 2000:
            errors["text"] = _("Use at most %(n)d characters.", n=2000)
        elif text_problem(text):
            errors["text"] = text_problem(text)
        out["text"] = text
    if background is not None:
        background = str(background).strip()
        if len(background) > 10_000:
            errors["background"] = _("Use at most %(n)d characters.", n=10_000)
        elif text_problem(background):
            errors["background"] = text_problem(background)
        out["background"] = background
    if target is not None:
        target = str(target).strip() or None
        if target not in TARGETS:
            errors["target"] = _("Choose 2030, 2050 or nothing.")
        out["target"] = target
    if translations is not None:
        ok = isinstance(translations, dict) and all(
            isinstance(k, str) and isinstance(v, dict)
            and set(v) <= {"text", "background", "unit"} and all(isinstance(x, str) for x in v.values())
            for k, v in translations.items())
        if not ok:
            errors["translations"] = _('Give translations as {"fr": {"text": ..., "background": ..., '
                                       '"unit": ...}}.')
        elif any(text_problem(x) or len(x) > 10_000 for v in translations.values() for x in v.values()) \
                or any(text_problem(k) or len(k) > 8 for k in translations):
            errors["translations"] = next(
                (text_problem(x) for v in translations.values() for x in v.values() if text_problem(x)),
                _("Use at most %(n)d characters.", n=10_000))
        else:
            out["translations"] = {k: {f: x.strip() for f, x in v.items()} for k, v in translations.items()}
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return out


def _next_code(study: Study) -> str:
    count = db.session.scalar(select(func.count(Item.id)).where(Item.study_id == study.id)) or 0
    taken = set(db.session.scalars(select(Item.code).where(Item.study_id == study.id)))
    number = count + 1
    while f"I{number:02d}" in taken:
        number += 1
    return f"I{number:02d}"


def check_kind(study: Study, kind, params, *, target=None, exclude_item: int | None = None) -> tuple[str, dict]:
    """``(kind, params)`` checked by the kind's registry entry (``rounds.kinds``):
    an estimate's ``indicator`` must be one of the study's task force, a
    ranking's item options items of the study. ``InvalidInput`` naming each
    wrong field (``kind``, ``params.<name>``)."""
    kind = "rating" if kind is None else kind
    if not isinstance(kind, str) or kind not in KIND_NAMES:
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"kind": _("Choose one of: %(kinds)s.", kinds=", ".join(KIND_NAMES))})
    if params is not None and not isinstance(params, dict):
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"params": _("Give the parameters as an object.")})

    def indicator_lookup(indicator_id):
        if not -2**31 < int(indicator_id) < 2**31:
            return None
        return db.session.scalar(select(Indicator).join(TaskForce).where(
            Indicator.id == int(indicator_id), TaskForce.id == study.task_force_id))

    def item_lookup(item_id):
        if not -2**31 < int(item_id) < 2**31 or int(item_id) == exclude_item:
            return None
        return db.session.scalar(select(Item).where(Item.id == int(item_id),
                                                    Item.study_id == study.id))

    return kind, kind_of(kind).check_params(params or {}, indicator_lookup=indicator_lookup,
                                            item_lookup=item_lookup, target=target)


def _new_item(study: Study, text, *, background="", target=None, translations=None, lineage=None,
              kind=None, params=None, now=None) -> Item:
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    values = _check(text, background or "", target if target is not None else "", translations or {})
    values.setdefault("target", None)
    kind, params = check_kind(study, kind, params, target=values["target"])
    item = Item(study_id=study.id, code=_next_code(study), lineage=lineage or {},
                created_at=now_or(now), kind=kind, params=params, **values)
    db.session.add(item)
    db.session.flush()
    return item


def add_item(study: Study, text, *, actor, background="", target=None, translations=None,
             lineage=None, kind=None, params=None, now=None) -> Item:
    """A new item, coded ``I01``, ``I02``, … in order of creation, of the question
    ``kind`` (default ``rating``) with its ``params`` (see ``rounds.kinds``).
    Audited (``item.added``)."""
    item = _new_item(study, text, background=background, target=target,
                     translations=translations, lineage=lineage, kind=kind, params=params, now=now)
    audit.record(actor, "item.added", item,
                 details={"study_id": study.id, "code": item.code, "kind": item.kind},
                 now=now_or(now))
    return item


def item_in_opened_round(item: Item) -> bool:
    return db.session.scalar(
        select(func.count(RoundItem.id)).join(Round, RoundItem.round_id == Round.id)
        .where(RoundItem.item_id == item.id, Round.status != RoundStatus.draft)) > 0


def update_item(item: Item, *, actor, text=None, background=None, target=None, translations=None,
                params=None, now=None) -> Item:
    """Edit an item that is in no opened round (``StateError`` otherwise: reword
    it with :func:`reword_item` instead, so that answers keep their meaning).
    ``target=""`` clears the target; ``params`` replaces the kind's parameters
    (checked as :func:`add_item` does). Audited (``item.updated``) when anything
    changed."""
    if item_in_opened_round(item):
        raise StateError(_("This item has been rated already; add a reworded item instead."))
    values = _check(text, background, target, translations, text_required=False)
    if params is not None:
        study = db.session.get(Study, item.study_id)
        _kind, values["params"] = check_kind(study, item.kind, params,
                                             target=values.get("target", item.target),
                                             exclude_item=item.id)
    changed = sorted(name for name, value in values.items() if getattr(item, name) != value)
    for name in changed:
        setattr(item, name, values[name])
    db.session.flush()
    if changed:
        audit.record(actor, "item.updated", item, details={"fields": changed}, now=now_or(now))
    return item


def _reusable_params(item: Item) -> dict:
    """An item's parameters as input again (a reworded item asks the same thing)."""
    params = dict(item.params or {})
    if item.kind == "ranking":
        params["options"] = [{k: v for k, v in o.items() if k != "id"} for o in params["options"]]
    return params


def reword_item(item: Item, text, *, actor, now=None) -> Item:
    """A new item that rewords ``item`` (its lineage names it); in the draft
    round, if there is one, it takes the old item's place. Audited
    (``item.reworded``)."""
    study = db.session.get(Study, item.study_id)
    new = _new_item(study, text, lineage={"proposals": [], "items": [item.id]}, kind=item.kind,
                    params=_reusable_params(item), target=item.target, now=now)
    in_draft = db.session.scalar(
        select(RoundItem).join(Round, Round.id == RoundItem.round_id)
        .where(Round.study_id == study.id, Round.status == RoundStatus.draft,
               RoundItem.item_id == item.id))
    if in_draft is not None:
        # The new wording was never rated: it takes the old one's place without feedback.
        in_draft.item_id = new.id
        in_draft.feedback = None
        db.session.flush()
    audit.record(actor, "item.reworded", new, details={"from": item.id, "code": new.code},
                 now=now_or(now))
    return new


def item_from_proposals(study: Study, text, proposal_ids, *, actor, from_items=(), background="",
                        target=None, translations=None, now=None) -> Item:
    """An item made from proposals (merged, split or reworded) and/or earlier items;
    its lineage keeps their ids. Audited (``item.merged``)."""
    proposal_ids = sorted({int(p) for p in proposal_ids or ()})
    item_ids = sorted({int(getattr(i, "id", i)) for i in from_items or ()})
    if proposal_ids:
        found = set(db.session.scalars(
            select(Proposal.id).join(Round, Proposal.round_id == Round.id)
            .where(Round.study_id == study.id, Proposal.id.in_(proposal_ids))))
        missing = [p for p in proposal_ids if p not in found]
        if missing:
            raise InvalidInput(_("Invalid input."),
                               fields={"proposal_ids": _("Unknown proposals: %(ids)s",
                                                         ids=", ".join(map(str, missing)))})
    if item_ids:
        found = set(db.session.scalars(select(Item.id).where(Item.study_id == study.id,
                                                             Item.id.in_(item_ids))))
        missing = [i for i in item_ids if i not in found]
        if missing:
            raise InvalidInput(_("Invalid input."),
                               fields={"from_items": _("Unknown items: %(ids)s",
                                                       ids=", ".join(map(str, missing)))})
    item = _new_item(study, text, background=background, target=target, translations=translations,
                     lineage={"proposals": proposal_ids, "items": item_ids}, now=now)
    audit.record(actor, "item.merged", item,
                 details={"proposals": proposal_ids, "items": item_ids, "code": item.code},
                 now=now_or(now))
    return item
