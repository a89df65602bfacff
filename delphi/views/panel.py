"""The panellist's pages: their studies, the questionnaire, withdrawing.

The questionnaire is one plain HTML form that works without JavaScript
(Save keeps a draft, Submit makes the answers count); ``questionnaire.js``
autosaves it every 30 seconds and on change through :func:`autosave`.
Each question kind (``rounds.kinds``) has its own inputs
(``panel/_kind_input.html``: a number with its unit and bounds, three
quantiles, a percentage, a year or "later", one select per rank position,
which the script turns into a list to drag or to move with up/down
buttons) and, from round 2, its own feedback (``panel/_kind_feedback.html``:
a strip drawn as inline SVG, without inline styles or scripts, and every
figure as text; see :func:`kind_feedback`). ``rounds.save_answers`` judges
every answer; its field names are mapped back to the inputs
(:func:`_field_errors`).

Its CSRF token is checked here rather than by ``CSRFProtect``: when the token
has expired (a long session, a re-login in another tab) the page comes back
with everything that was typed still in it and a clear message, so no answer
is ever lost to an expired form.

No page of this blueprint shows another panellist's name, email or
organisation: the feedback is aggregates and anonymised comments.
"""
from __future__ import annotations

import re
import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

import rounds
from delphi.access import get_study, panellist_of, require
from delphi.core.database import db
from delphi.core.errors import DomainError, InvalidInput, StateError
from delphi.core.models import (
    Panellist,
    PanellistStatus,
    Response,
    Round,
    RoundKind,
    RoundStatus,
    Study,
)
from delphi.extensions import csrf, login_manager
from delphi.forms import ROLE_LABELS, STAKEHOLDER_LABELS, EmptyForm
from delphi.forms_studies import (
    CANNOT_RATE,
    QUANTILE_PARTS,
    ProposalsForm,
    QuestionnaireForm,
    answer_parts,
    answers_from_form,
    cannot_name,
    comment_name,
    ranking_positions,
    rating_name,
    reason_name,
    value_name,
)
from delphi.i18n import current_language, region_name
from delphi.mail.links import granted_in_study, granted_panellist
from delphi.unit_of_work import keep_changes, unit_of_work
from delphi.views.confirm import confirm_page, confirmed
from delphi.views.deadlines import local_time
from delphi.views.feedback_svg import (
    fmt,
    kind_strip,
    rating_chart,
    rating_summary,
    strata_chart,
)
from rounds import safeguards
from rounds.consent import ConsentRequired
from rounds.kinds import LATER, kind_label

bp = Blueprint("panel", __name__, url_prefix="/panel")


# -- Helpers -------------------------------------------------------------------

def _panellist(study_id: int) -> tuple[Study, Panellist]:
    study = get_study(study_id)
    panellist = panellist_of(current_user, study)
    require(panellist is not None)
    return study, panellist


def _answering(study_id: int, number: int) -> tuple[Study, Round, Panellist]:
    """The study, round and panellist of a questionnaire request.

    The panellist is the logged-in member's, or the one a magic link granted
    this session for exactly this open round (``delphi.mail.links``). Who may
    not answer is told so before anything about the round is revealed: a
    visitor is sent to the login page, a member gets 403.
    """
    study = get_study(study_id)
    panellist = panellist_of(current_user, study)
    if panellist is None and granted_in_study(study) is None:
        _refuse()
    round_ = _round(study, number)
    if panellist is None:
        panellist = granted_panellist(study, round_)
        if panellist is None:
            _refuse()
    return study, round_, panellist


def _refuse():
    if not current_user.is_authenticated:
        raise _LoginNeeded()
    require(False)


class _LoginNeeded(Exception):
    """Raised to send an anonymous visitor without a grant to the login page."""


@bp.errorhandler(_LoginNeeded)
def _login_needed(_error):
    return login_manager.unauthorized()


def _round(study: Study, number: int) -> Round:
    row = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if row is None or row.status is RoundStatus.draft:  # a draft is the moderator's
        abort(404)
    return row


def _form_items(round_: Round) -> list[tuple[int, str, dict]]:
    """The round's items as :func:`answers_from_form` reads them: ``(id, kind, params)``."""
    return [(ri.item_id, ri.item.kind or "rating", dict(ri.item.params or {}))
            for ri in round_.round_items]


def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _raw(value) -> str | None:
    """A stored rating as the radio value it checks ("3", "na" or None)."""
    if isinstance(value, dict):
        if "value" not in value:
            return None
        value = value["value"]
        return CANNOT_RATE if value is None else str(value)
    return None if value is None else str(value)


def _plain(value) -> str:
    """A stored number as typed (``12`` rather than ``12.0``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _kind_values(item_id: int, kind: str, params: dict, entry) -> dict[str, str]:
    """A non-rating item's stored answer as the values of its inputs."""
    names = answer_parts(item_id, kind, params)
    values = {name: "" for name in names}
    values[cannot_name(item_id)] = ""
    if not entry or "value" not in entry:
        return values
    value = entry["value"]
    if value is None:
        values[cannot_name(item_id)] = "1"
    elif kind == "estimate" and params.get("quantiles") and isinstance(value, dict):
        for part in QUANTILE_PARTS:
            values[value_name(item_id, part)] = _plain(value.get(part))
    elif kind == "ranking" and isinstance(value, list):
        for position, option in enumerate(value[:len(names)], start=1):
            values[value_name(item_id, position)] = str(option)
    else:
        values[value_name(item_id)] = _plain(value)
    return values


def page_items(q, criteria: list[str]) -> list[dict]:
    """The questionnaire's items as plain dicts for the template:
    ``{id, code, text, background, target, kind, params, options, feedback,
    own_previous: {c: v}, values: {field name: raw}, comment, number,
    answered}``; a non-rating item also has ``shown`` (its feedback ready to
    draw, :func:`kind_feedback`), a rating item ``charts`` (per criterion,
    :func:`rating_charts`)."""
    out = []
    points = _get(q, "scale_points") or 5
    for view in _get(q, "items") or []:
        item_id = _get(view, "item_id", _get(view, "id"))
        kind = _get(view, "kind") or "rating"
        params = _get(view, "params") or {}
        options = _get(view, "options") or []
        feedback = _get(view, "feedback")
        answers = _get(view, "answers") or _get(view, "current") or {}
        values = {}
        if kind == "rating":
            own = {c: stats.get("own_previous")
                   for c, stats in ((feedback or {}).get("criteria") or {}).items()}
            for criterion in criteria:
                entry = answers.get(criterion) if isinstance(answers, dict) else None
                values[rating_name(item_id, criterion)] = _raw(entry)
                values[reason_name(item_id, criterion)] = (_get(entry, "reason") or "") if entry else ""
        else:
            own = {"": (feedback or {}).get("own_previous")}
            entry = answers.get("") if isinstance(answers, dict) else None
            values.update(_kind_values(item_id, kind, params, entry))
            values[reason_name(item_id, "")] = (_get(entry, "reason") or "") if entry else ""
        values[comment_name(item_id)] = _get(view, "comment") or ""
        out.append({
            "id": item_id, "code": _get(view, "code"), "text": _get(view, "text"),
            "background": _get(view, "background") or "", "target": _get(view, "target"),
            "kind": kind, "params": params, "options": options,
            "feedback": feedback, "own_previous": own,
            "reason_required": _get(view, "reason_required") or {},
            "values": values,
            "shown": kind_feedback(kind, params, options, feedback) if kind != "rating" else None,
            "charts": rating_charts(feedback, own, criteria, points) if kind == "rating" else {},
            "number": _get(view, "number") or len(out) + 1,
            "answered": bool(_get(view, "answered")),
        })
    return out


def rating_charts(feedback: dict | None, own: dict, criteria: list[str], points: int) -> dict:
    """A rating item's feedback charts, per criterion shown: ``{c: {"chart"
    (:func:`feedback_svg.rating_chart`), "summary" (its sentence), "strata":
    {"dimension", "groups": [...]} | None}}``."""
    out = {}
    for criterion in criteria:
        fb = ((feedback or {}).get("criteria") or {}).get(criterion)
        if not fb or fb.get("suppressed"):
            continue
        strata = fb.get("strata")
        out[criterion] = {
            "chart": rating_chart(fb, own.get(criterion), points),
            "summary": rating_summary(criterion, fb, own.get(criterion)),
            "strata": ({"dimension": strata.get("dimension"),
                        "groups": strata_chart(strata.get("groups") or [], points)}
                       if strata else None),
        }
    return out


# -- Feedback of the kinds other than rating ----------------------------------------

def _answer_text(kind: str, params: dict, options: list[dict], answer) -> str:
    """A panellist's answer in words (their own previous one, in the feedback)."""
    if answer is None:
        return _("none, or cannot answer")
    unit = ("\u00a0" + params.get("unit")) if kind == "estimate" and params.get("unit") else ""
    if kind == "estimate" and isinstance(answer, dict):
        return _("low %(p10)s, most likely %(p50)s, high %(p90)s", p10=fmt(answer.get("p10")),
                 p50=fmt(answer.get("p50")), p90=fmt(answer.get("p90"))) + unit
    if kind == "probability":
        return f"{fmt(answer)}\u00a0%"
    if kind == "year":
        return _("later than %(year)d", year=params["max"]) if answer == LATER else str(answer)
    if kind == "ranking" and isinstance(answer, list):
        names = {o["id"]: o["text"] for o in options}
        return "; ".join(f"{n}. {names.get(o, o)}" for n, o in enumerate(answer, start=1))
    return fmt(answer) + unit


def kind_feedback(kind: str, params: dict, options: list[dict], feedback: dict | None) -> dict | None:
    """An estimate's, probability's, year's or ranking's feedback ready for the
    page: ``{"suppressed", "n", "rows": [(label, text)], "values_text",
    "strip": {...} | None, "ranking": [...] | None, "own_text"}``. The strip
    (``panel/_kind_feedback.html`` draws it as SVG, without inline styles)
    puts the panel's answers, their median and quartiles, the baseline, the
    target and the panellist's own last answer on one axis; every figure is
    also in ``rows`` as text."""
    if not feedback:
        return None
    own = feedback.get("own_previous")
    shown = {"suppressed": bool(feedback.get("suppressed")), "n": feedback.get("n"), "rows": [],
             "values_text": "", "strip": None, "ranking": None,
             "own_text": _answer_text(kind, params, options, own)}
    if shown["suppressed"]:
        return shown
    rows = shown["rows"]
    if kind == "ranking":
        names = {o["id"]: o["text"] for o in options}
        mine = {option: position for position, option in enumerate(own or [], start=1)}
        table = [{"option": names.get(o.get("option"), o.get("option")),
                  "mean_rank": o.get("mean_rank"), "top3_share": o.get("top3_share"),
                  "own_rank": mine.get(o.get("option"))}
                 for o in feedback.get("options") or []]
        table.sort(key=lambda r: (r["mean_rank"] is None, r["mean_rank"] or 0))
        shown["ranking"] = table
        rows.append((_("Number of rankings"), fmt(feedback.get("n"))))
        if feedback.get("w") is not None:
            rows.append((_("Agreement of the panel (Kendall's W, 0 to 1)"), fmt(feedback.get("w"))))
        return shown
    unit = params.get("unit") or "" if kind == "estimate" else ("%" if kind == "probability" else "")
    with_unit = (lambda v: f"{fmt(v)}\u00a0{unit}" if unit else fmt(v)) if kind != "year" else fmt
    median, q1, q3 = feedback.get("median"), feedback.get("q1"), feedback.get("q3")
    if kind == "year":
        def year_text(value, later):
            if later:
                return _("later than %(year)d", year=params["max"])
            return fmt(int(value)) if isinstance(value, float) and value.is_integer() else fmt(value)
        if median is not None or feedback.get("median_later"):
            rows.append((_("Group median"), year_text(median, feedback.get("median_later"))))
        if q1 is not None or feedback.get("q1_later") or feedback.get("q3_later"):
            rows.append((_("Interquartile range (middle half of the panel)"),
                         f"{year_text(q1, feedback.get('q1_later'))} – "
                         f"{year_text(q3, feedback.get('q3_later'))}"
                         + (f" ({_('IQR')} {fmt(feedback.get('iqr'))})"
                            if feedback.get("iqr") is not None else "")))
        if feedback.get("later_share") is not None:
            rows.append((_("Share answering later than %(year)d", year=params["max"]),
                         f"{fmt(100 * feedback['later_share'])}\u00a0%"))
    else:
        if median is not None:
            rows.append((_("Group median"), with_unit(median)))
        if q1 is not None:
            rows.append((_("Interquartile range (middle half of the panel)"),
                         (f"{with_unit(q1)} – {with_unit(q3)} ({_('IQR')} "
                         f"{with_unit(feedback.get('iqr'))})")))
    aggregate = feedback.get("aggregate")
    if aggregate:
        rows.append((_("The panel's combined distribution (average of the quantiles)"),
                     _("low %(p10)s, most likely %(p50)s, high %(p90)s",
                       p10=with_unit(aggregate.get("p10")), p50=with_unit(aggregate.get("p50")),
                       p90=with_unit(aggregate.get("p90")))))
    baseline, target = feedback.get("baseline"), feedback.get("target")
    for label, point in ((_("Baseline"), baseline), (_("Target"), target)):
        if point and point.get("value") is not None:
            year = f" ({point['year']})" if point.get("year") else ""
            rows.append((label, with_unit(point["value"]) + year))
    rows.append((_("Number of answers"), fmt(feedback.get("n"))))
    values = feedback.get("values")
    if values:
        shown["values_text"] = ", ".join(year_text(v, v == LATER) if kind == "year" else fmt(v)
                                         for v in values)
    shown["strip"] = kind_strip(kind, params, feedback, own)
    return shown


#: The dimensions feedback may be split by, as the table's caption names them.
STRATA_LABELS = {"stakeholder_group": _l("stakeholder group"), "role": _l("role"),
                 "region": _l("region")}


def group_label(dimension: str, value) -> str:
    """A group of split feedback in words (its code's label, a region's name)."""
    if value in (None, "", "unknown"):
        return _("unknown")
    if dimension == "stakeholder_group":
        return str(STAKEHOLDER_LABELS.get(value, value))
    if dimension == "role":
        return str(ROLE_LABELS.get(value, value))
    return region_name(value)


#: A round of more than ONE_PAGE items is shown in pages of PAGE_SIZE items.
ONE_PAGE, PAGE_SIZE = 6, 5


def _page_of(items: list[dict]) -> dict[int, int]:
    """Each item's page (1, 2, ...): all on page 1 up to :data:`ONE_PAGE` items, else
    pages of :data:`PAGE_SIZE` items in the round's order."""
    size = PAGE_SIZE if len(items) > ONE_PAGE else max(len(items), 1)
    return {item["id"]: index // size + 1 for index, item in enumerate(items)}


def _current_page(count: int) -> int | None:
    """The page asked for (``?page=N``, kept within 1..count), or None for all items."""
    raw = request.args.get("page", "")
    if count <= 1 or raw == "all":
        return None
    return min(max(int(raw), 1), count) if raw.isdigit() else 1


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _error_summary(items: list[dict], errors: dict[str, str], href) -> list[dict]:
    """One entry per item with errors, naming it ("Item 3 of 12 “Cover crops…”: …"),
    linking to its first wrong field (``href(item, field)``); errors of no item
    come last, one each."""
    missing_rating = _("Rate this item, or answer \"cannot rate\".")  # rounds.answering's words
    missing_answer = _("Answer this question, or answer \"cannot answer\".")
    owner = _error_items(items, errors)
    by_item = {item["id"]: item for item in items}
    out, seen = [], {}
    for name, message in errors.items():
        item_id = owner.get(name)
        if item_id is None:
            out.append({"href": "#" + name, "text": message})
            continue
        if item_id not in seen:
            seen[item_id] = {"href": href(by_item[item_id], name), "messages": []}
            out.append(seen[item_id])
        if message not in seen[item_id]["messages"]:
            seen[item_id]["messages"].append(message)
    for item_id, entry in seen.items():
        item = by_item[item_id]
        messages = entry.pop("messages")
        if messages == [missing_rating]:
            text = _("rate it or answer \"cannot rate\".")
        elif messages == [missing_answer]:
            text = _("answer it or choose \"cannot answer\".")
        else:
            text = " ".join(messages)
        entry["text"] = _("Item %(n)d “%(title)s”: %(message)s", n=item["number"],
                          title=_short(item["text"]), message=text)
    return out


def _render(study, panellist, round_, *, posted=None, errors=None, message=None, status=200,
            q=None, preview=False, consent_first=False):
    """The questionnaire page. ``preview``: the moderator's preview
    (``delphi.views.preview``): ``q`` is :func:`rounds.preview.preview_questionnaire`,
    nothing on the page posts or saves."""
    if q is None:
        q = rounds.questionnaire(round_, panellist, language=current_language())
    criteria = list(study.criteria or [])
    items = page_items(q, criteria)
    if posted is not None:  # show what was typed, not what is stored
        for item in items:
            for name in item["values"]:
                if name in posted:
                    item["values"][name] = posted[name]
    if errors is None and q.has_unsubmitted_changes and q.missing:
        errors = _form_names(q.missing)  # mark what keeps the changes from counting
    errors = errors or {}
    pages = _page_of(items)
    count = max(pages.values(), default=1)
    page = _current_page(count)
    here = url_for("studies.preview" if preview else "panel.questionnaire", study_id=study.id,
                   number=round_.number)

    def href(item, anchor=None):
        """A link to ``item`` (or one of its fields) on its page."""
        target = "#" + (anchor or f"item-{item['id']}")
        if page is None or pages[item["id"]] == page:
            return target
        return f"{here}?page={pages[item['id']]}{target}"
    progress = q.progress
    unanswered = [{"id": i["id"], "number": i["number"], "text": _short(i["text"], 60), "href": href(i)}
                  for i in items if not i["answered"]]
    shown = [i for i in items if page is None or pages[i["id"]] == page]
    return render_template(
        "panel/questionnaire.html", study=study, round=round_, panellist=panellist, q=q,
        items=shown, all_items=items, total=len(items), page=page, page_count=count,
        progress=progress, unanswered=unanswered,
        deadline=local_time(round_.closes_at, remaining=round_.status is RoundStatus.open),
        criteria=criteria, labels=rounds.scale_labels_in(study, current_language()),
        points=list(range(1, study.scale_points + 1)), form=QuestionnaireForm(),
        proposals_form=ProposalsForm(), submit_key=uuid.uuid4().hex,
        response_status=q.response_status,
        field_errors=errors, error_summary=_error_summary(items, errors, href), message=message,
        CANNOT_RATE=CANNOT_RATE, LATER=LATER, rating_name=rating_name, reason_name=reason_name,
        comment_name=comment_name, value_name=value_name, cannot_name=cannot_name,
        ranking_positions=ranking_positions, kind_label=kind_label, fmt=fmt, plain=_plain,
        strata_label=lambda d: STRATA_LABELS.get(d, d), group_label=group_label,
        preview=preview, consent_first=consent_first,
    ), status


def progress_text(progress) -> str:
    """"5 of 12 answered" (:class:`rounds.Progress`)."""
    return ngettext("%(answered)d of %(num)d item answered", "%(answered)d of %(num)d items answered",
                    progress.total, answered=progress.answered)


def _progress_json(progress) -> dict:
    """The autosave's ``progress``: the figures, the page's words, the ids still unanswered."""
    return {"answered": progress.answered, "total": progress.total,
            "text": progress_text(progress), "unanswered": list(progress.unanswered)}


def _status_html(state) -> str:
    """The page's status line (``panel/_answer_status.html``) for a
    :class:`rounds.AnswerState` of an open round."""
    return render_template("panel/_answer_status.html", status=state.status,
                           submitted_at=state.submitted_at, dirty=state.has_unsubmitted_changes,
                           message=state.message, round_open=True)


def _saved_text(state, changed: bool) -> str:
    """What the autosave (and the Save button) says it did, from ``state``."""
    if state.has_unsubmitted_changes:
        return state.message
    if state.status == "submitted":
        if changed:
            return _("Saved: your submitted answers are updated and count as shown.")
        return _("Saved: your submitted answers count as shown.")
    return _("Draft saved. It counts once you submit it.")


def _item_name(item_id: int, criterion: str, part: str, sub: str | None = None) -> str:
    """The form field (or answer fieldset) of an answer's ``part`` (``value``,
    ``reason``, ``criterion``); ``sub``: a part of a non-rating value (``p50``, a
    rank position as the service counts them, from 0)."""
    if part == "reason":
        return reason_name(item_id, criterion)
    if criterion:
        return rating_name(item_id, criterion)
    if sub in QUANTILE_PARTS:
        return value_name(item_id, sub)
    return value_name(item_id)


def _form_names(fields: dict[str, str]) -> dict[str, str]:
    """``"<item_id>:<criterion>.value|reason"`` keys as the form's field names
    (a non-rating item's ``"<item_id>:.value"``: its answer's input or fieldset)."""
    out = {}
    for name, message in (fields or {}).items():
        target, _dot, part = name.rpartition(".")
        item_id, colon, criterion = target.partition(":")
        if item_id.isdigit() and colon:
            name = _item_name(int(item_id), criterion, part)
        out[name] = message
    return out


_RATING_FIELD = re.compile(r"ratings\[(\d+)\]\.(value|reason|criterion)(?:\.(.+))?")


def _field_errors(error: DomainError, ratings) -> dict[str, str]:
    """Map the service's field names to the form's: ``ratings[i].value`` (the
    i-th posted answer; ``ratings[i].value.p50`` a quantile of an estimate,
    ``ratings[i].value.<position>`` an option of a ranking) and
    ``"<item_id>:<criterion>.value"`` / ``.reason`` (a missing answer or reason
    at submission)."""
    out = {}
    for name, message in (error.fields or {}).items():
        match = _RATING_FIELD.fullmatch(name)
        if match and int(match.group(1)) < len(ratings):
            rating = ratings[int(match.group(1))]
            name = _item_name(rating.item_id, rating.criterion or "", match.group(2), match.group(3))
        elif ":" in name:
            name = next(iter(_form_names({name: message})))
        out[name] = message
    return out


def _error_items(items: list[dict], errors: dict[str, str]) -> dict[str, int]:
    """Each error's field → the id of the item it belongs to (the page's list of
    errors names the item)."""
    owner = {}
    for item in items:
        names = {*item["values"], value_name(item["id"])}
        owner.update({name: item["id"] for name in errors if name in names})
    return owner


# -- Pages -----------------------------------------------------------------------

@bp.app_context_processor
def _time_helpers():
    """``local_time`` for every template that shows a panellist a deadline."""
    return {"local_time": local_time}


@bp.get("/help")
def help_page():
    """What a Delphi round is and how to read the feedback (public)."""
    return render_template("help/delphi.html", back=_safe_back(request.args.get("back")))


def _safe_back(target: str | None) -> str | None:
    """A same-site path to return to from the help page (anything else: None)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_section(user) -> list[tuple[str, dict]]:
    """The member home page's "My Delphi studies" section (when on a panel)."""
    panellists = db.session.scalars(select(Panellist).where(
        Panellist.user_id == user.id, Panellist.status == PanellistStatus.active)
        .order_by(Panellist.enrolled_at)).all()
    if not panellists:
        return []
    rows = []
    for p in panellists:
        open_rounds = [r for r in p.study.rounds if r.status is RoundStatus.open]
        statuses = {}
        if open_rounds:
            statuses = dict(db.session.execute(select(Response.round_id, Response.status).where(
                Response.panellist_id == p.id,
                Response.round_id.in_([r.id for r in open_rounds]))).all())
        rows.append({"study": p.study, "rounds": [(r, statuses.get(r.id)) for r in open_rounds]})
    return [("panel/_home.html", {"panel_rows": rows})]


@bp.get("/studies/<int:study_id>")
@login_required
def study(study_id: int):
    study_, panellist = _panellist(study_id)
    visible = [r for r in study_.rounds if r.status is not RoundStatus.draft]
    statuses = dict(db.session.execute(select(Response.round_id, Response.status).where(
        Response.panellist_id == panellist.id)).all())
    return render_template("panel/study.html", study=study_, panellist=panellist, rounds=visible,
                           statuses=statuses, form=EmptyForm(), lang=current_language())


@bp.route("/studies/<int:study_id>/withdraw", methods=["GET", "POST"])
@login_required
@unit_of_work
def withdraw(study_id: int):
    """GET, or a POST without ``confirm``: the confirmation page (what happens
    to the answers); the confirmed POST withdraws (``delphi.views.confirm``)."""
    study_, panellist = _panellist(study_id)
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirm_page(
            title=_("Withdraw from this study?"),
            question=_("Withdraw from “%(title)s”?", title=study_.title),
            safeguard=safeguards.withdraw_safeguard(panellist, by_self=True),
            button=_("Withdraw from the study"), cancel=url_for("panel.study", study_id=study_.id))
    try:
        rounds.withdraw_panellist(panellist, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("panel.study", study_id=study_.id), 303)
    flash(_("You have withdrawn from this study. Thank you for your contribution."), "success")
    return redirect(url_for("member.home"), 303)


@bp.route("/studies/<int:study_id>/rounds/<int:number>", methods=["GET", "POST"])
@csrf.exempt  # checked below, so that an expired token loses nothing
@unit_of_work
def questionnaire(study_id: int, number: int):
    study_, round_, panellist = _answering(study_id, number)
    if request.method == "GET":
        if round_.status is RoundStatus.open and rounds.consent_needed(panellist) is not None:
            return redirect(url_for("panel.consent", study_id=study_.id,  # the sheet first
                                    next=request.full_path.rstrip("?")), 303)
        return _render(study_, panellist, round_)
    answers, posted = answers_from_form(request.form, _form_items(round_), list(study_.criteria or []))
    if not QuestionnaireForm().validate_on_submit():
        return _render(study_, panellist, round_, posted=posted, status=400, message=_(
            "Your session had expired; your answers are still here, please press Save again."))
    submit = request.form.get("action") == "submit"
    goto = request.form.get("goto", "")  # a page button: save the draft, then show that page
    before = rounds.answer_state(round_, panellist)
    try:
        rounds.save_answers(round_, panellist, answers, submit=submit,
                            submit_key=(request.form.get("submit_key") or "")[:64] or None)
    except ConsentRequired as error:  # a new version was published while the page was open
        db.session.rollback()
        return _render(study_, panellist, round_, posted=posted, status=error.status,
                       consent_first=True, message=_(
                           "The study's information sheet has changed. Please read it and give "
                           "your consent again, then save your answers."))
    except StateError as error:
        db.session.rollback()
        return render_template("panel/closed.html", study=study_, round=round_,
                               message=error.message), error.status
    except InvalidInput as error:
        if getattr(error, "keep_changes", False):
            keep_changes()  # an incomplete submission: the answers given are kept as a draft
        return _render(study_, panellist, round_, posted=posted, status=error.status,
                       errors=_field_errors(error, answers.ratings), message=error.message)
    state = rounds.answer_state(round_, panellist)
    if goto and not submit:
        return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number,
                                page=goto if goto.isdigit() or goto == "all" else None), 303)
    page = request.args.get("page")
    if submit and before.status != "submitted":
        flash(_("Thank you: your answers are submitted. You may amend them until the round closes."),
              "success")
    elif submit:
        flash(_("Your amended answers are submitted: they count as shown."), "success")
    elif state.has_unsubmitted_changes:  # the status line says why
        flash(_("Your changes are saved, but they are not counted yet."), "error")
    else:
        flash(_saved_text(state, state.submitted_at != before.submitted_at), "success")
    return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number,
                            page=page if page and (page.isdigit() or page == "all") else None), 303)


@bp.post("/studies/<int:study_id>/rounds/<int:number>/autosave")
@unit_of_work
def autosave(study_id: int, number: int):
    """Save the answers (``questionnaire.js``). JSON: ``status`` ("draft" or
    "submitted"), ``saved_at``, ``submitted_at``, ``has_unsubmitted_changes``
    (submitted, but the answers shown do not count yet), ``progress``
    (``{answered, total, text, unanswered: [item ids]}``), ``fields`` (form
    field name → what keeps them from counting), ``saved_text`` (what was
    done, in the reader's language) and ``status_html`` (the page's status
    line). After a submission a save re-submits when it can (see
    :func:`rounds.save_answers`)."""
    study_, round_, panellist = _answering(study_id, number)
    answers, _posted = answers_from_form(request.form, _form_items(round_),
                                         list(study_.criteria or []))
    try:
        before = rounds.answer_state(round_, panellist)
        response = rounds.save_answers(round_, panellist, answers, submit=False)
    except DomainError as error:
        db.session.rollback()
        body = {"code": error.code, "message": error.message}
        if error.fields:
            body["fields"] = _field_errors(error, answers.ratings)
        return jsonify({"error": body}), error.status
    state = rounds.answer_state(round_, panellist)
    return {"status": response.status.value,
            "saved_at": response.updated_at.isoformat() if response.updated_at else None,
            "submitted_at": state.submitted_at.isoformat() if state.submitted_at else None,
            "has_unsubmitted_changes": state.has_unsubmitted_changes,
            "fields": _form_names(state.missing) if state.has_unsubmitted_changes else {},
            "saved_text": _saved_text(state, state.submitted_at != before.submitted_at),
            "status_html": _status_html(state),
            "progress": _progress_json(rounds.answer_progress(round_, panellist))}


@bp.post("/studies/<int:study_id>/rounds/<int:number>/proposals")
@unit_of_work
def proposals(study_id: int, number: int):
    """An open-ended round: the panellist's free-text proposals."""
    study_, round_, panellist = _answering(study_id, number)
    if round_.kind is not RoundKind.open_ended:
        abort(404)
    form = ProposalsForm()
    if not form.validate_on_submit():
        for message in form.proposals.errors:
            flash(message, "error")
        return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
    texts = [line.strip() for line in form.proposals.data.splitlines() if line.strip()]
    try:
        rounds.submit_proposals(round_, panellist, texts)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
    flash(_("Thank you: %(n)d proposals are sent to the moderators.", n=len(texts)), "success")
    return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
