"""Panel pages that close the loop: a closed round's summary and the final list.

Panellists of the study see, for each item, what became of it (accepted,
rejected, carried or reworded; ``rounds.outcomes``) with the group's frozen
figures. Thin: load, check, call the service, render.
"""
from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required

from delphi.config import current_policy
from delphi.core.models import RoundKind, RoundStatus, StudyStatus
from delphi.i18n import current_language
from delphi.views.panel import _panellist, _round, bp
from rounds.outcomes import final_list, round_outcomes
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
