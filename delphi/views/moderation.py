"""Study pages: the moderation of a closed round's comments and reasons.

Moderators read each comment and outside-IQR reason with the screen's flags
(``rounds.screening``) and approve, edit or hide it (``rounds.moderation``).
"""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

import rounds
from delphi.core.errors import DomainError
from delphi.core.models import RoundStatus
from delphi.forms import EmptyForm
from delphi.i18n import current_language
from delphi.unit_of_work import unit_of_work
from delphi.views.study_helpers import bp, done, failed, moderated, round_of
from rounds.moderation import items_of

__all__ = ["bp"]


@bp.get("/<int:study_id>/rounds/<int:number>/moderation")
@login_required
@unit_of_work
def moderation_page(study_id: int, number: int):
    study = moderated(study_id)
    round_ = round_of(study, number)
    texts = rounds.free_texts(round_) if round_.status is RoundStatus.closed else []
    items = items_of(round_)
    by_item: dict[int, list] = {}
    for text in texts:
        by_item.setdefault(text.item_id, []).append(text)
    return render_template(
        "studies/moderation.html", study=study, round=round_, items=items, by_item=by_item,
        total=len(texts), unreviewed=sum(1 for t in texts if t.status is None),
        form=EmptyForm(), lang=current_language())


@bp.post("/<int:study_id>/rounds/<int:number>/moderation")
@login_required
@unit_of_work
def review_text(study_id: int, number: int):
    study = moderated(study_id)
    round_ = round_of(study, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    source, source_id = request.form.get("source", ""), request.form.get("source_id", "")
    anchor = f"{source}-{source_id}" if source_id.isdigit() else None
    try:
        review = rounds.review_feedback(round_, source, source_id,
                                        action=request.form.get("action", ""),
                                        text=request.form.get("text"), actor=current_user)
    except DomainError as error:
        return failed(error, "studies.moderation_page", study_id=study.id, number=number,
                      _anchor=anchor)
    message = {"approved": _("Approved: the panel will see it as written."),
               "edited": _("Edited: the panel will see your edit."),
               "hidden": _("Hidden: the panel will not see it.")}[review.status.value]
    return done(message, "studies.moderation_page", study_id=study.id, number=number,
                _anchor=anchor)
