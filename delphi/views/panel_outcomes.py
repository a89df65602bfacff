"""Panel pages that close the loop: a closed round's summary, the final list,
and the receipt of what a panellist submitted (on the page, and by mail when
they ask).

Panellists of the study see, for each item, what became of it (accepted,
rejected, carried or reworded; ``rounds.outcomes``) with the group's frozen
figures. Thin: load, check, call the service, render.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.models import RoundKind, RoundStatus, StudyStatus, User
from delphi.forms import EmptyForm
from delphi.i18n import current_language
from delphi.mail.outbox import queue
from delphi.unit_of_work import unit_of_work
from delphi.views.panel import _answering, _panellist, _round, bp
from rounds.outcomes import final_list, round_outcomes
from rounds.receipts import receipt
from rounds.studies import scale_labels_in
from rounds.vocabulary import outcome_label, verdict_label

__all__ = ["bp"]


def _labels() -> dict:
    return {"outcome_label": outcome_label, "verdict_label": verdict_label}


@bp.get("/studies/<int:study_id>/rounds/<int:number>/summary")
@login_required
def round_summary(study_id: int, number: int):
    study_, _panellist_row = _panellist(study_id)
    round_ = _round(study_, number)
    if round_.status is not RoundStatus.closed or round_.kind is not RoundKind.rating:
        abort(404)
    entries = round_outcomes(round_, language=current_language(),
                             min_cell=current_policy().min_cell)
    return render_template("panel/summary.html", study=study_, round=round_, entries=entries,
                           ended=study_.status is StudyStatus.ended, **_labels())


@bp.get("/studies/<int:study_id>/final")
@login_required
def final(study_id: int):
    study_, _panellist_row = _panellist(study_id)
    if study_.status is not StudyStatus.ended:
        abort(404)
    entries = final_list(study_, language=current_language(), min_cell=current_policy().min_cell)
    return render_template("panel/final.html", study=study_, entries=entries, **_labels())


def _answer_lines(study, entry) -> list[str]:
    """A receipt item's answers in words (the scale's labels, the kinds' wording)."""
    from delphi.views.panel import _answer_text

    labels = scale_labels_in(study, current_language())
    lines = []
    for criterion, value, answer, reason in entry.answers:
        if entry.kind == "rating":
            text = _("cannot rate") if value is None else (
                f"{value} · {labels[value - 1]}" if 0 < value <= len(labels) else str(value))
            line = _("%(criterion)s: %(answer)s", criterion=criterion, answer=text)
        else:
            line = _answer_text(entry.kind, entry.params, entry.params.get("options") or [], answer)
        if reason:
            line += " — " + _("your reason: %(reason)s", reason=reason)
        lines.append(line)
    if entry.comment:
        lines.append(_("Your comment: %(comment)s", comment=entry.comment))
    return lines


def _receipt_of(study_id: int, number: int):
    study_, round_, panellist = _answering(study_id, number)
    found = receipt(round_, panellist, language=current_language())
    if found is None:
        abort(404)
    lines = [(e, _answer_lines(study_, e)) for e in found.items]
    return study_, round_, panellist, found, lines


@bp.get("/studies/<int:study_id>/rounds/<int:number>/receipt")
def receipt_page(study_id: int, number: int):
    study_, round_, _p, found, lines = _receipt_of(study_id, number)
    return render_template("panel/receipt.html", study=study_, round=round_, receipt=found,
                           lines=lines, form=EmptyForm())


@bp.post("/studies/<int:study_id>/rounds/<int:number>/receipt")
@unit_of_work
def receipt_mail(study_id: int, number: int):
    """Send the receipt by mail, when the panellist ticks the box and asks."""
    study_, round_, panellist, found, lines = _receipt_of(study_id, number)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("panel.receipt_page", study_id=study_.id, number=number)
    if request.form.get("send") != "yes":
        flash(_("Tick the box to receive the receipt by e-mail."), "error")
        return redirect(back, 303)
    user = db.session.get(User, panellist.user_id)
    text_lines = [f"{e.code}. {e.text}\n" + "\n".join(f"  - {line}" for line in ls)
                  for e, ls in lines]
    queue(user, "receipt", round=round_,
          dedupe_key=f"receipt:{found.response_id}:{found.submitted_at.isoformat()}",
          lines=text_lines, submitted_at=found.submitted_at)
    flash(_("The receipt is on its way to your e-mail address."), "success")
    return redirect(back, 303)
