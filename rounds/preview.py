"""The moderator's preview: a round's questionnaire as a panellist sees it.

:func:`preview_questionnaire` builds the same :class:`rounds.Questionnaire`
the panel's page shows (items in the reader's language, numbering, the
feedback as the study filters it), for a draft or an open round, as a
panellist with no answers yet and no previous answer would see it. It reads
only: no Response, no draft, nothing is written, and there is no panellist
behind it (``pseudonym`` is empty).
"""
from __future__ import annotations

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Item, Round, RoundItem
from rounds.answering import item_criteria, reasons_asked
from rounds.kinds import option_text
from rounds.questionnaires import (
    Questionnaire,
    QuestionnaireItem,
    _filtered_feedback,
    _option_items,
)
from rounds.studies import scale_labels_in

__all__ = ["preview_questionnaire"]


def preview_questionnaire(round: Round, *, language: str = "en") -> Questionnaire:
    """``round`` (draft, open or closed) as a new panellist would see it: no
    answers, no own previous answer in the feedback, no reason asked yet."""
    study = round.study
    criteria = list(study.criteria)
    rows = db.session.execute(
        select(RoundItem.item_id, RoundItem.position, RoundItem.feedback, Item)
        .join(Item, Item.id == RoundItem.item_id)
        .where(RoundItem.round_id == round.id).order_by(RoundItem.position, RoundItem.id)).all()
    option_items = _option_items(rows)
    items = []
    for number, (item_id, position, feedback, item) in enumerate(rows, start=1):
        keys = item_criteria(item.kind, criteria)
        items.append(QuestionnaireItem(
            item_id=item_id, code=item.code, text=item.text_in(language),
            background=item.background_in(language), target=item.target, position=position,
            feedback=_filtered_feedback(study, feedback, {c: None for c in keys}), answers={},
            comment="", submitted={}, reason_required={c: False for c in keys},
            kind=item.kind or "rating", params=dict(item.params or {}),
            options=([{"id": o["id"], "text": option_text(o, language, option_items)}
                      for o in item.params.get("options") or []]
                     if item.kind == "ranking" else None),
            number=number, answered=False))
    return Questionnaire(
        study_id=study.id, study_title=study.title, round_id=round.id, number=round.number,
        kind=round.kind.value, status=round.status.value, closes_at=round.closes_at,
        scale_points=study.scale_points, scale_labels=scale_labels_in(study, language),
        criteria=criteria, require_reason_outside_iqr=reasons_asked(study),
        pseudonym="", response_status=None, submitted_at=None, has_unsubmitted_changes=False,
        items=items, proposals=[], missing={}, status_message=None)
