"""The study dashboard: moderators, researchers and admins.

Thin views over :mod:`delphi.dashboard` (the page, from the read models of
``rounds``) and :mod:`delphi.charts.cache` (rendered charts). Nothing here computes a
statistic. Researchers see aggregates only: the non-responders' names and
the Remind action are for moderators (and admins).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from delphi import access
from delphi import dashboard as page
from delphi.charts import cache as chart_cache
from delphi.charts import numbers, specs
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import InvalidInput, NotFound, StateError
from delphi.core.models import Item, RoundItem, RoundStatus, Study, StudyStaff
from delphi.dashboard_inference import inference_section
from delphi.i18n import current_language
from delphi.mail.reminders import remind as remind_panellists
from delphi.unit_of_work import unit_of_work
from delphi.views.confirm import confirm_page, confirmed
from rounds import results, safeguards
from rounds.kinds import kind_label
from rounds.panel_attributes import (
    COMPOSITION_DIMENSIONS,
    non_responders,
    panellists_by_ids,
)
from rounds.subgroups import SUBGROUP_DIMENSIONS
from rounds.vocabulary import VERDICT_LABELS

bp = Blueprint("dashboard", __name__, url_prefix="/studies")

W_LABELS = {
    "very weak": _l("very weak"), "weak": _l("weak"), "moderate": _l("moderate"),
    "strong": _l("strong"), "unusually strong": _l("unusually strong"),
}
DIMENSION_LABELS = {
    "role": _l("Role"), "region": _l("Region"), "stakeholder_group": _l("Stakeholder group"),
    "organisation_status": _l("Organisation status"), "language": _l("Language"),
}
SORT_LABELS = {
    "position": _l("Questionnaire order"), "code": _l("Item"), "criterion": _l("Criterion"),
    "n": _l("n"), "median": _l("Median"), "iqr": _l("IQR"), "agreement": _l("Agreement"),
    "disagreement": _l("Disagreement"), "verdict": _l("Verdict"),
}


class RemindForm(FlaskForm):
    """CSRF only; the panellists come as repeated ``panellist`` values."""


def home_section(user) -> list[tuple[str, dict]]:
    """The member home page's "Dashboards" section: studies the user may analyse."""
    query = select(Study).order_by(Study.id)
    if not user.is_admin:
        query = query.where(Study.id.in_(
            select(StudyStaff.study_id).where(StudyStaff.user_id == user.id)))
    studies = [s for s in db.session.scalars(query)
               if any(r.status is not RoundStatus.draft for r in s.rounds)]
    if not studies:
        return []
    return [("dashboard/_home.html", {"dashboard_studies": studies})]


def _study_for_staff(study_id: int):
    study = access.get_study(study_id)
    access.require(access.can_view_results(current_user, study))
    return study


@bp.app_template_filter("dash_num")
def dash_num(value, places: int = 2) -> str:
    """A number as the dashboard prints it: at most ``places`` decimals, no trailing
    zeros, in the reader's locale (``0,197`` in French; ``delphi.charts.numbers``)."""
    return numbers.figure(value, places, missing="—")


@bp.app_template_filter("dash_pct")
def dash_pct(value) -> str:
    """A share 0..1 as a percentage with one decimal, in the reader's locale
    (``87.5%``, ``87,5 %``)."""
    return "—" if value is None else numbers.percent(value, 1)


@bp.app_template_filter("dash_signed")
def dash_signed(value, places: int = 2) -> str:
    if value is None:
        return "—"
    text = dash_num(value, places)
    return text if text.startswith("-") or text == "0" else "+" + text


# The figures of the question kinds, written as the reader's locale writes numbers
# (delphi.charts.numbers; the report uses them too).
@bp.app_template_filter("kind_num")
def kind_num(value, places: int = 2) -> str:
    return numbers.decimal(value, places)


@bp.app_template_filter("kind_pct")
def kind_pct(value, places: int = 1) -> str:
    return numbers.percent(value, places)


@bp.app_template_filter("kind_year")
def kind_year(value) -> str:
    return numbers.year(value)


@bp.app_template_filter("kind_signed")
def kind_signed(value, places: int = 2) -> str:
    return numbers.signed(value, places)


@bp.get("/<int:study_id>/dashboard")
@login_required
def index(study_id: int):
    study = _study_for_staff(study_id)
    rnd = results.default_round(study)
    if rnd is None:
        return render_template("dashboard/empty.html", study=study)
    return redirect(url_for("dashboard.round_view", study_id=study.id, number=rnd.number))


@bp.get("/<int:study_id>/dashboard/rounds/<int:number>")
@login_required
def round_view(study_id: int, number: int):
    study = _study_for_staff(study_id)
    rnd = results.get_round(study, number)
    if rnd.status is RoundStatus.draft:
        raise NotFound(_("This round has not opened yet."))
    is_moderator = access.can_moderate(current_user, study)
    language = current_language()
    data = page.dashboard(
        study, rnd, with_names=is_moderator,
        query=page.parse_table_query(request.args, study), language=language,
        subgroups_of=lambda r: chart_cache.subgroups(r, language=language),
        inference_of=lambda r, tables: inference_section(r, policy=current_policy(),
                                                         language=language, subgroups=tables))
    by = request.args.get("by")
    if by not in SUBGROUP_DIMENSIONS:
        by = SUBGROUP_DIMENSIONS[0]
    can_remind = is_moderator and rnd.status is RoundStatus.open
    # Alt texts from the charts' numbers, without drawing: each <img> request
    # draws its own image (for a closed round: once, into the chart store shared by all workers).
    alts = specs.chart_alts(data.charts, _=_)
    kind_alts = {entry.row.item_id: specs.chart_alt(entry.table, _=_)
                 for section in data.kinds for entry in section.items}
    return render_template(
        "dashboard/round.html", d=data, study=study, rnd=rnd, is_moderator=is_moderator,
        can_remind=can_remind,
        # Plain strings: the labels appear in every row (lazy strings translate on each use).
        remind_form=RemindForm(), by=by, alts=alts, kind_alts=kind_alts,
        verdict_labels=_plain(VERDICT_LABELS),
        w_labels=_plain(W_LABELS), dimension_labels=_plain(DIMENSION_LABELS),
        sort_labels=_plain(SORT_LABELS),
        sort_keys=page.SORT_KEYS, subgroup_dimensions=SUBGROUP_DIMENSIONS,
        composition_dimensions=COMPOSITION_DIMENSIONS, min_cell=current_policy().min_cell)


def _plain(labels: dict) -> dict:
    return {key: str(value) for key, value in labels.items()}


def _split_filename(filename: str) -> tuple[str, str]:
    name, dot, fmt = filename.rpartition(".")
    if not dot or fmt not in specs.CHART_FORMATS:
        raise NotFound(_("No such chart format: use .png or .svg."))
    return name, fmt


@bp.get("/<int:study_id>/dashboard/rounds/<int:number>/charts/<filename>")
@login_required
def round_chart(study_id: int, number: int, filename: str):
    study = _study_for_staff(study_id)
    name, fmt = _split_filename(filename)
    if name not in specs.ROUND_CHARTS:
        raise NotFound(_("No such chart."))
    rnd = results.get_round(study, number)
    entry = chart_cache.chart(study, rnd, name, fmt, criterion=request.args.get("criterion"),
                              language=current_language())
    return chart_cache.send(entry)


def _round_item(rnd, item_id: int) -> Item:
    item = db.session.scalar(select(Item).join(RoundItem, RoundItem.item_id == Item.id).where(
        RoundItem.round_id == rnd.id, Item.id == item_id))
    if item is None:
        raise NotFound(_("No such item in this round."))
    return item


@bp.get("/<int:study_id>/dashboard/rounds/<int:number>/items/<int:item_id>")
@login_required
def item_view(study_id: int, number: int, item_id: int):
    study = _study_for_staff(study_id)
    rnd = results.get_round(study, number)
    item = _round_item(rnd, item_id)
    language = current_language()
    if (item.kind or "rating") != "rating":
        chart = specs.item_chart(item.kind, item.params)
        table = specs.chart_table(rnd, chart, item=item, language=language)
        entry = specs.KindItem(row=table["row"], figures=results.kind_figures(table["row"]),
                              chart=chart, table=table, options=table.get("options") or [])
        return render_template("dashboard/item.html", study=study, rnd=rnd, item=item,
                               tables=[], entry=entry, kind_label=kind_label(item.kind),
                               kind_alt=specs.chart_alt(table, _=_),
                               verdict_labels=_plain(VERDICT_LABELS),
                               text=item.text_in(language))
    tables = [specs.chart_table(rnd, "distribution", criterion=c, item=item, language=language)
              for c in study.criteria]
    alts = {t["criterion"]: specs.chart_alt(t, _=_) for t in tables}
    return render_template("dashboard/item.html", study=study, rnd=rnd, item=item, tables=tables,
                           alts=alts, verdict_labels=VERDICT_LABELS, entry=None,
                           text=item.text_in(language))


@bp.get("/<int:study_id>/dashboard/rounds/<int:number>/items/<int:item_id>/distribution.<fmt>")
@login_required
def item_chart(study_id: int, number: int, item_id: int, fmt: str):
    study = _study_for_staff(study_id)
    if fmt not in specs.CHART_FORMATS:
        raise NotFound(_("No such chart format: use .png or .svg."))
    rnd = results.get_round(study, number)
    item = _round_item(rnd, item_id)
    entry = chart_cache.chart(study, rnd, "distribution", fmt,
                              criterion=request.args.get("criterion"), item=item,
                              language=current_language())
    return chart_cache.send(entry)


@bp.get("/<int:study_id>/dashboard/rounds/<int:number>/items/<int:item_id>/charts/<filename>")
@login_required
def item_kind_chart(study_id: int, number: int, item_id: int, filename: str):
    """The chart of an item of another kind: ``target``, ``ranking`` or ``distribution``."""
    study = _study_for_staff(study_id)
    name, fmt = _split_filename(filename)
    if name not in specs.ITEM_CHARTS:
        raise NotFound(_("No such chart."))
    rnd = results.get_round(study, number)
    item = _round_item(rnd, item_id)
    entry = chart_cache.chart(study, rnd, name, fmt, item=item, language=current_language())
    return chart_cache.send(entry)


@bp.post("/<int:study_id>/dashboard/rounds/<int:number>/remind")
@login_required
@unit_of_work
def remind(study_id: int, number: int):
    study = access.get_study(study_id)
    access.require(access.can_moderate(current_user, study))
    rnd = results.get_round(study, number)
    back = redirect(url_for("dashboard.round_view", study_id=study.id, number=rnd.number), 303)
    form = RemindForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; nothing was sent. Please try again."), "error")
        return back
    if rnd.status is not RoundStatus.open:
        raise StateError(_("Reminders can only be sent while the round is open."))
    waiting = {n.panellist_id for n in non_responders(rnd, with_names=False)}
    try:
        chosen = {int(v) for v in request.form.getlist("panellist")}
    except ValueError:
        raise InvalidInput(_("Invalid input."), fields={"panellist": _("Not a panellist.")})
    check = safeguards.remind_safeguard(rnd, chosen)
    if check.blocked:
        flash(check.blocked, "error" if chosen else "success")
        return back
    if not chosen and not confirmed():  # nothing ticked: never remind everybody silently
        return confirm_page(
            title=_("Remind everybody?"),
            question=_("Remind the panellists who have not answered?"), safeguard=check,
            button=ngettext("Remind the %(num)d panellist", "Remind all %(num)d panellists",
                            check.figures["targets"]),
            cancel=url_for("dashboard.round_view", study_id=study.id, number=rnd.number),
            danger=False)
    chosen = (chosen & waiting) if chosen else waiting
    panellists = panellists_by_ids(study, sorted(chosen))
    # The mail feature queues the messages and writes the audit event.
    result = remind_panellists(rnd, panellists, actor=current_user)
    queued = getattr(result, "queued", result)
    sent = len(queued) if isinstance(queued, (list, tuple, set)) else len(panellists)
    flash(_("Reminders queued: %(n)d.", n=sent), "success")
    skipped = sum((getattr(result, "skipped", None) or {}).values())
    if skipped:
        flash(_("Not reminded: %(n)d (opted out, already reminded often enough, or answered).",
                n=skipped), "success")
    return back
