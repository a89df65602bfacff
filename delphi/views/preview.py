"""The moderator's preview of a round's questionnaire (``studies.preview``).

GET only: the panel's own template (``panel/questionnaire.html``) with
``preview`` set, so the moderator sees exactly what a panellist sees, with
a banner saying nothing is saved. The form has no method, no CSRF token, no
autosave URL and no Save or Submit button: nothing on the page can post,
and a POST to this URL is refused (405). No Response is ever created.
"""
from __future__ import annotations

from flask_login import login_required

from delphi.i18n import current_language
from delphi.views.panel import _render
from delphi.views.study_helpers import bp, moderated, round_of
from rounds.preview import preview_questionnaire

__all__ = ["preview"]


@bp.get("/<int:study_id>/rounds/<int:number>/preview")
@login_required
def preview(study_id: int, number: int):
    study = moderated(study_id)
    round_ = round_of(study, number)
    q = preview_questionnaire(round_, language=current_language())
    return _render(study, None, round_, q=q, preview=True)
