"""One protocol: one value, one validator, one form that shows and keeps every setting.

The pages are read and posted back as a browser would (:class:`BrowserForm`):
every field as rendered, textareas with CRLF line ends, unticked boxes absent.
"""
from __future__ import annotations

import html
import warnings
from dataclasses import fields
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

import rounds
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.models import Amendment, AuditEvent, Study
from tests.factories import answer_round, build_study, close, get_round, user_by_email

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
PARIS_CUTOFF = datetime(2020, 10, 30, 23, 0, tzinfo=timezone.utc)  # 2020-10-31 00:00 in Paris


class BrowserForm(HTMLParser):
    """The first form of a page that posts to the page itself (no ``action``),
    as a browser would submit it."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._in_form = self._done = False
        self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []
        self._text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and a.get("method", "").lower() == "post" and not a.get("action"):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.setdefault(a["name"], []).append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.values[self._select] = [chosen[0]]
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            text = text[1:] if text.startswith("\n") else text  # HTML drops one leading newline
            self.values[self._textarea] = [text.replace("\r\n", "\n").replace("\n", "\r\n")]
            self._textarea = None

    def data(self, **changes) -> dict:
        out = {k: v[0] if len(v) == 1 else v for k, v in self.values.items()}
        out.update(changes)
        return {k: v for k, v in out.items() if v is not None}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rich_study(app, **protocol):
    """A study whose protocol uses settings the old form did not show."""
    options = dict(panel_cutoff=date(2020, 10, 31), time_zone="Europe/Paris", min_n=3,
                   consensus={"iqr_max": 1.5, "agreement_min": 0.75, "disagreement_min": 0.6,
                              "median_range": [4, 5], "combine": "any"},
                   quantile_method="type6", stop_when_settled=False, stop_w_threshold=0.7,
                   description="Line one\nline two", scale_labels=["a", "b", "c", "d", "e"])
    options.update(protocol)
    cutoff = options.pop("panel_cutoff")  # build_study dates the members before a datetime
    world = build_study(app, n_panellists=4, n_items=2, **options)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        rounds.update_protocol(study, {"panel_cutoff": cutoff}, actor=None)
        db.session.commit()
    return world


def lock(app, world):
    answer_round(app, world, 1, submit=False, who=[])  # opens round 1: the protocol locks


# -- the default rule ------------------------------------------------------------

def test_the_default_rule_rejects_and_the_rejected_item_is_not_carried(app):
    world = build_study(app, n_panellists=6, n_items=3)
    yes, no, split = world.item_ids
    values = {e: {yes: {"importance": 5}, no: {"importance": 1}, split: {"importance": 1 + k % 5}}
              for k, e in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    close(app, world, 1)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        assert rounds.consensus_rule(study).disagreement_min == 0.7
        verdicts = {row["item"]: row["verdict"] for row in rounds.round_results(get_round(world, 1))["items"]}
        assert verdicts == {yes: "consensus_in", no: "consensus_out", split: "no_consensus"}
        assert [ri.item_id for ri in get_round(world, 2).round_items] == [split]


def test_an_explicit_null_switches_rejection_off_and_absence_follows_agreement(app, make_user):
    admin = make_user(admin=True)
    with app.app_context():
        follows = rounds.create_study("A5", "Follows", actor=admin,
                                      consensus={"iqr_max": 1, "agreement_min": 0.8})
        off = rounds.create_study("A5", "Off", actor=admin,
                                  consensus={"iqr_max": 1, "agreement_min": 0.8, "disagreement_min": None})
        assert rounds.consensus_rule(follows).disagreement_min == 0.8
        assert rounds.consensus_rule(off).disagreement_min is None
        # A patch of the rule keeps what it does not name.
        rounds.update_protocol(off, {"consensus": {"iqr_max": 0.5}}, actor=admin)
        assert rounds.consensus_rule(off).disagreement_min is None
        assert rounds.consensus_rule(off).agreement_min == 0.8


# -- saving the page changes only what changed ------------------------------------

@pytest.mark.parametrize("locked", [False, True])
def test_saving_the_unchanged_page_records_nothing(app, client, auth, locked):
    world = rich_study(app)
    if locked:
        lock(app, world)
    auth.login(world.moderator)
    with app.app_context():
        audits, amendments = count(AuditEvent), count(Amendment)
    page = client.get(f"/studies/{world.study_id}/protocol").get_data(as_text=True)
    response = client.post(f"/studies/{world.study_id}/protocol", data=BrowserForm(page).data())
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Nothing has changed." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert (count(AuditEvent), count(Amendment)) == (audits, amendments)
        study = db.session.get(Study, world.study_id)
        assert study.panel_cutoff == PARIS_CUTOFF


@pytest.mark.parametrize("locked", [False, True])
def test_a_save_keeps_the_cutoff_and_the_rules_the_change_does_not_touch(app, client, auth, locked):
    world = rich_study(app)
    if locked:
        lock(app, world)
    auth.login(world.moderator)
    with app.app_context():
        before = rounds.Protocol.from_study(db.session.get(Study, world.study_id))
    page = client.get(f"/studies/{world.study_id}/protocol").get_data(as_text=True)
    form = BrowserForm(page)
    assert form.values["panel_cutoff"] == ["2020-10-31"] and form.values["disagreement_min"] == ["0.6"]
    response = client.post(f"/studies/{world.study_id}/protocol",
                           data=form.data(max_rounds="5", reason="One more round" if locked else None))
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        after = rounds.Protocol.from_study(study)
        assert study.panel_cutoff == PARIS_CUTOFF
        assert after.disagreement_min == 0.6 and after.median_range == (4.0, 5.0)
        assert after.changes_from(before) == {"max_rounds": (3, 5)}
        stored = db.session.scalars(select(Amendment).where(Amendment.study_id == study.id)).all()
        assert [(a.field, a.old_value, a.new_value) for a in stored] == (
            [("max_rounds", 3, 5)] if locked else [])
    html_page = client.get(f"/studies/{world.study_id}").get_data(as_text=True)
    assert "2020-10-31 (00:00, Europe/Paris)" in html_page


def test_a_date_only_cutoff_is_the_start_of_the_day_in_the_study_zone(app, make_user):
    admin = make_user(admin=True)
    with app.app_context():
        study = rounds.create_study("A5", "Paris", actor=admin, panel_cutoff=date(2020, 10, 31),
                                    time_zone="Europe/Paris")
        assert study.panel_cutoff == PARIS_CUTOFF
        protocol = rounds.Protocol.from_study(study)
        assert protocol.cutoff_input() == "2020-10-31"
        assert protocol.cutoff_text() == "2020-10-31 (00:00, Europe/Paris)"
        # A new time zone keeps the date: the start of 31 October in Tokyo now.
        rounds.update_protocol(study, {"time_zone": "Asia/Tokyo"}, actor=admin)
        assert study.panel_cutoff == datetime(2020, 10, 30, 15, 0, tzinfo=timezone.utc)
        # A time of day is a wall-clock time there; the hour the clock goes back keeps its offset.
        for text in ("2020-10-31 14:30", "2020-10-25 02:30+01:00", "2020-10-25 02:30+02:00"):
            rounds.update_protocol(study, {"panel_cutoff": text, "time_zone": "Europe/Paris"}, actor=admin)
            moment = study.panel_cutoff
            again = rounds.Protocol.from_study(study).cutoff_input()
            rounds.update_protocol(study, {"panel_cutoff": again}, actor=admin)
            assert study.panel_cutoff == moment, (text, again)


# -- every setting through the form -----------------------------------------------------

FORM_OF = {"median_range": ("median_min", "median_max"),
           "kind_consensus": ("estimate_max_dispersion", "probability_max_iqr", "year_max_iqr",
                              "ranking_min_w", "ranking_max_w_change")}


def test_every_setting_is_settable_through_the_form(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=1)
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/protocol").get_data(as_text=True)
    form = BrowserForm(page)
    for setting in fields(rounds.Protocol):
        for name in FORM_OF.get(setting.name, (setting.name,)):
            assert f'name="{name}"' in page, name
    data = form.data(
        title="All of it", description="Why\r\nand how", scale_points="7",
        scale_labels="\r\n".join(f"L{i}" for i in range(1, 8)), criteria="importance, feasibility",
        quantile_method="hinges", consensus_kind="rule", iqr_max="2", agreement_min="0.8",
        disagreement_min="", median_min="5", median_max="7", combine="any", min_n="4",
        max_rounds="6", stop_when_settled=None, stop_w_threshold="0.65",
        panel_cutoff="2021-03-01 09:30", time_zone="America/Sao_Paulo", show_distribution=None,
        show_median_iqr=None, show_comments=None, require_reason_outside_iqr="y",
        carry_forward="all", estimate_max_dispersion="0.3", probability_max_iqr="15",
        year_max_iqr="4", ranking_min_w="0.6", ranking_max_w_change="0.1")
    response = client.post(f"/studies/{world.study_id}/protocol", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        got = rounds.Protocol.from_study(db.session.get(Study, world.study_id))
    assert got == rounds.Protocol(
        title="All of it", description="Why\nand how", scale_points=7,
        scale_labels=tuple(f"L{i}" for i in range(1, 8)), criteria=("importance", "feasibility"),
        consensus_kind="rule", iqr_max=2.0, agreement_min=0.8, disagreement_min=None,
        median_range=(5.0, 7.0), combine="any", quantile_method="hinges", min_n=4, max_rounds=6,
        stop_when_settled=False, stop_w_threshold=0.65,
        panel_cutoff=datetime(2021, 3, 1, 12, 30, tzinfo=timezone.utc), time_zone="America/Sao_Paulo",
        show_distribution=False, show_median_iqr=False, show_comments=False,
        require_reason_outside_iqr=True, carry_forward="all",
        kind_consensus={"estimate": {"max_dispersion": 0.3}, "probability": {"max_iqr": 15.0},
                        "year": {"max_iqr": 4.0}, "ranking": {"min_w": 0.6, "max_w_change": 0.1}})
    # RAND/UCLA on 9 points is a choice of the form too.
    response = client.post(f"/studies/{world.study_id}/protocol", data=form.data(
        scale_points="9", consensus_kind="rand_ucla", quantile_method="type7"))
    assert response.status_code == 303
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        assert study.consensus_rule == {"kind": "rand_ucla"} and rounds.consensus_rule(study) is None


# -- one validator: the same message from the form and from the service -------------------

CASES = [
    # (form changes, create_study keywords, the field the form shows it on, the service's key)
    ({"title": ""}, {"title": ""}, "title", "title"),
    ({"title": "x" * 301}, {"title": "x" * 301}, "title", "title"),
    ({"title": "a\x00b"}, {"title": "a\x00b"}, "title", "title"),
    ({"description": "d" * 10_001}, {"description": "d" * 10_001}, "description", "description"),
    ({"scale_points": "6"}, {"scale_points": 6}, "scale_points", "scale_points"),
    ({"scale_labels": "a\r\nb"}, {"scale_labels": ["a", "b"]}, "scale_labels", "scale_labels"),
    ({"criteria": "a, b, c, d"}, {"criteria": ["a", "b", "c", "d"]}, "criteria", "criteria"),
    ({"criteria": "Import ance"}, {"criteria": ["Import ance"]}, "criteria", "criteria"),
    ({"quantile_method": "type9"}, {"quantile_method": "type9"}, "quantile_method", "quantile_method"),
    ({"consensus_kind": "rand_ucla"}, {"consensus": {"kind": "rand_ucla"}}, "consensus_kind",
     "consensus.kind"),
    ({"iqr_max": "-1"}, {"consensus": {"iqr_max": -1}}, "iqr_max", "consensus.iqr_max"),
    ({"iqr_max": "1e400"}, {"consensus": {"iqr_max": float("inf")}}, "iqr_max", "consensus.iqr_max"),
    ({"agreement_min": "7"}, {"consensus": {"agreement_min": 7}}, "agreement_min",
     "consensus.agreement_min"),
    ({"disagreement_min": "1.01"}, {"consensus": {"disagreement_min": 1.01}}, "disagreement_min",
     "consensus.disagreement_min"),
    ({"median_min": "4", "median_max": "2"}, {"consensus": {"median_range": [4, 2]}}, "median_min",
     "consensus.median_range"),
    ({"median_min": "4"}, {"consensus": {"median_range": [4, None]}}, "median_min",
     "consensus.median_range"),
    ({"iqr_max": "", "agreement_min": ""}, {"consensus": {"iqr_max": None, "agreement_min": None}},
     "consensus_kind", "consensus"),
    ({"combine": "some"}, {"consensus": {"combine": "some"}}, "combine", "consensus.combine"),
    ({"min_n": "0"}, {"min_n": 0}, "min_n", "min_n"),
    ({"min_n": "10001"}, {"min_n": 10_001}, "min_n", "min_n"),
    ({"max_rounds": "21"}, {"max_rounds": 21}, "max_rounds", "max_rounds"),
    ({"stop_w_threshold": "1.5"}, {"stop_w_threshold": 1.5}, "stop_w_threshold", "stop_w_threshold"),
    ({"stop_w_threshold": "0"}, {"stop_w_threshold": 0}, "stop_w_threshold", "stop_w_threshold"),
    ({"panel_cutoff": "31/10/2020"}, {"panel_cutoff": "31/10/2020"}, "panel_cutoff", "panel_cutoff"),
    ({"panel_cutoff": "0001-01-01"}, {"panel_cutoff": date(1, 1, 1)}, "panel_cutoff", "panel_cutoff"),
    ({"time_zone": "Mars/Olympus_Mons"}, {"time_zone": "Mars/Olympus_Mons"}, "time_zone", "time_zone"),
    ({"time_zone": "../../etc/passwd"}, {"time_zone": "../../etc/passwd"}, "time_zone", "time_zone"),
    ({"carry_forward": "some"}, {"carry_forward": "some"}, "carry_forward", "carry_forward"),
    ({"task_force": "Z9"}, {"task_force": "Z9"}, "task_force", "task_force"),
]


@pytest.mark.parametrize("form_change, service_change, field, key", CASES,
                         ids=[c[3] + ":" + repr(c[0])[:30] for c in CASES])
def test_the_form_shows_the_service_message_beside_the_field(app, client, auth, make_user,
                                                             form_change, service_change, field, key):
    admin = make_user(admin=True)
    kwargs = {"title": "A study", "task_force": "A5", **service_change}
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            rounds.create_study(kwargs.pop("task_force"), kwargs.pop("title"), actor=admin, **kwargs)
    message = error.value.fields[key]
    auth.login(admin.email)
    page = client.get("/studies/new").get_data(as_text=True)
    response = client.post("/studies/new", data=BrowserForm(page).data(
        **{"title": "A study", "task_force": "A5", **form_change}))
    assert response.status_code == 422
    shown = html.unescape(response.get_data(as_text=True))
    assert f'<p class="error" id="{field}-error">{message}</p>' in shown, (key, message)
    with app.app_context():
        assert count(Study) == 0


def test_the_protocol_page_shows_the_service_message_and_changes_nothing(app, client, auth):
    world = rich_study(app)
    lock(app, world)
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/protocol").get_data(as_text=True)
    response = client.post(f"/studies/{world.study_id}/protocol",
                           data=BrowserForm(page).data(agreement_min="1.5", max_rounds="4"))
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert '<p class="error" id="agreement_min-error">Enter a share from 0 to 1' in text
    response = client.post(f"/studies/{world.study_id}/protocol",
                           data=BrowserForm(page).data(max_rounds="4"))
    assert response.status_code == 422
    assert '<p class="error" id="reason-error">Give the reason for this amendment.</p>' in (
        html.unescape(response.get_data(as_text=True)))
    with app.app_context():
        assert db.session.get(Study, world.study_id).max_rounds == 3
        assert count(Amendment) == 0


# -- bad input is an error, never a 500 ------------------------------------------------------

@pytest.mark.parametrize("kwargs, key", [
    ({"title": "\ud800 lone"}, "title"),
    ({"description": "broken \udfff"}, "description"),
    ({"scale_labels": ["a", "b", "\ud800", "d", "e"]}, "scale_labels"),
    ({"scale_labels": ["a", "b", "c\x00", "d", "e"]}, "scale_labels"),
    ({"criteria": ["imp\x00"]}, "criteria"),
    ({"title": "t" * 1_000_000}, "title"),
    ({"description": "d" * 1_000_000}, "description"),
    ({"scale_labels": ["x" * 1_000_000] * 5}, "scale_labels"),
    ({"min_n": 10**400}, "min_n"),
    ({"max_rounds": 2.5}, "max_rounds"),
    ({"stop_w_threshold": float("nan")}, "stop_w_threshold"),
    ({"consensus": {"iqr_max": 10**400}}, "consensus.iqr_max"),
    ({"consensus": {"agreement_min": "0.7"}}, "consensus.agreement_min"),
    ({"consensus": {"colour": "red"}}, "consensus.colour"),
    ({"consensus": ["iqr_max"]}, "consensus"),
    ({"time_zone": "Europe/Paris\x00"}, "time_zone"),
    ({"time_zone": ["UTC"]}, "time_zone"),
    ({"time_zone": "x" * 1_000_000}, "time_zone"),
    ({"panel_cutoff": "9" * 1_000_000}, "panel_cutoff"),
    ({"panel_cutoff": 20201031}, "panel_cutoff"),
    ({"stop_when_settled": "yes"}, "stop_when_settled"),
])
def test_bad_values_are_named_by_the_service(app, make_user, kwargs, key):
    admin = make_user(admin=True)
    with app.app_context():
        changes = dict(kwargs)
        with pytest.raises(InvalidInput) as error:
            rounds.create_study("A5", kwargs.pop("title", "A study"), actor=admin, **kwargs)
        assert key in error.value.fields
        study = rounds.create_study("A5", "Fine", actor=admin)
        with pytest.raises(InvalidInput) as error:
            rounds.update_protocol(study, changes, actor=admin)
        assert key in error.value.fields
        assert db.session.get(Study, study.id).title == "Fine"


def test_bad_input_on_the_pages_is_a_form_error(app, client, auth, make_user):
    admin = make_user(admin=True)
    auth.login(admin.email)
    page = client.get("/studies/new").get_data(as_text=True)
    form = BrowserForm(page)
    for change in ({"title": "t" * 400_000}, {"min_n": "9" * 5000}, {"iqr_max": "nan"},
                   {"stop_w_threshold": "-inf"}, {"scale_points": "\x00"}, {"time_zone": "\x00"},
                   {"panel_cutoff": "2020-02-30"}, {"criteria": "\x00"}):
        response = client.post("/studies/new", data=form.data(**{"title": "A study", **change}))
        assert response.status_code == 422, change
        assert 'class="error"' in response.get_data(as_text=True), change
    # Bytes that are not UTF-8 arrive replaced, and are then just text.
    response = client.post("/studies/new", data=b"title=%ED%A0%80&task_force=A5",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (303, 422)
    # A megabyte of title: the validator's message.
    response = client.post("/studies/new", data=form.data(title="t" * 1_000_000))
    assert response.status_code == 422
    assert '<p class="error" id="title-error">Use at most 300 characters.</p>' in (
        response.get_data(as_text=True))


# -- the forms, in English and in French ------------------------------------------------------

def test_the_study_forms_raise_no_deprecation_warning(app):
    from delphi import forms_studies

    with app.test_request_context("/"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("NewStudyForm", "ProtocolForm", "StaffForm", "PanellistForm", "ItemForm",
                     "MergeForm", "DraftRoundForm", "OpenRoundForm", "EndStudyForm",
                     "ProposalsForm", "QuestionnaireForm"):
            form = getattr(forms_studies, name)(meta={"csrf": False})
            for field in form:
                field()


def test_the_french_protocol_page_has_no_english_left(app, client, auth):
    from flask_babel import force_locale

    from delphi.forms_studies import ProtocolForm

    world = rich_study(app)
    with app.app_context():
        user_by_email(world.moderator).language = "fr"
        db.session.commit()
    auth.login(world.moderator)
    page = html.unescape(client.get(f"/studies/{world.study_id}/protocol", headers=FR)
                         .get_data(as_text=True))
    assert '<html lang="fr">' in page
    with app.test_request_context("/"):
        form = ProtocolForm(meta={"csrf": False})
        texts = []
        for field in form:
            if field.name in ("csrf_token", "reason"):  # the reason: once round 1 has opened
                continue
            for text in (field.label.text, field.description):
                if text:
                    with force_locale("en"):
                        english = str(text)
                    with force_locale("fr"):
                        french = str(text)
                    texts.append((english, french))
            for choice in getattr(field, "choices", None) or []:
                if field.name != "time_zone":
                    with force_locale("en"):
                        english = str(choice.label)
                    with force_locale("fr"):
                        french = str(choice.label)
                    texts.append((english, french))
    same_in_both = {"Description", "Quartiles", "Type 6 (SPSS, Minitab, Excel QUARTILE.EXC)",
                    "5 points", "7 points", "9 points"}
    for english, french in texts:
        assert french in page, french
        assert english != french or english in same_in_both, f"not translated: {english}"
        if english != french:
            assert english not in page, english
    show = html.unescape(client.get(f"/studies/{world.study_id}", headers=FR).get_data(as_text=True))
    assert "2020-10-31 (00:00, Europe/Paris)" in show
    assert "Inclure : EIQ d'au plus 1,5 ou au moins 75 % des notes de 4 à 5" in show
    for english in ("Include:", "Exclude:", "at most 3 rounds", "Feedback", "Carry forward"):
        assert english not in show, english


def test_the_moderator_sees_the_whole_protocol_on_the_study_page(app, client, auth):
    world = rich_study(app)
    auth.login(world.moderator)
    page = html.unescape(client.get(f"/studies/{world.study_id}").get_data(as_text=True))
    assert ("Include: IQR at most 1.5 or at least 75 % of ratings from 4 to 5 or median from 4 to 5. "
            "Exclude: IQR at most 1.5 or at least 60 % of ratings from 1 to 2.") in page
    assert "Type 6 (SPSS, Minitab, Excel QUARTILE.EXC)" in page
    assert "when Kendall's W reaches 0.7" in page


def test_the_report_gives_the_cutoff_in_the_study_zone(app):
    from delphi.exports.report import render_report

    world = rich_study(app)
    with app.test_request_context("/"):
        page = html.unescape(render_report(db.session.get(Study, world.study_id)))
    assert "2020-10-31 (00:00, Europe/Paris)" in page and "2020-10-30" not in page


@pytest.mark.parametrize("web, api, field, message", [
    ({"max_rounds": "21"}, {"max_rounds": 21}, "max_rounds", "Enter a whole number from 1 to 20."),
    ({"min_n": "0"}, {"min_n": 0}, "min_n", "Enter a whole number from 1 to 10000."),
    ({"agreement_min": "1.5"}, {"consensus": {"agreement_min": 1.5}}, "consensus.agreement_min",
     None),
    ({"stop_w_threshold": "1.5"}, {"stop_w_threshold": 1.5}, "stop_w_threshold",
     "Enter a number above 0 and at most 1, or nothing."),
])
def test_the_web_form_and_the_api_give_the_same_error_for_the_same_bad_protocol(
        app, client, auth, make_user, web, api, field, message):
    """One validator: the page shows beside the field the message the API names it with."""
    import html as html_module

    admin = make_user(admin=True)
    response = client.post("/api/v1/studies", headers=auth.token(admin.email),
                           json={"task_force": "A5", "title": "A study", **api})
    assert response.status_code == 422, response.get_json()
    api_message = response.get_json()["error"]["fields"][field]
    if message is not None:
        assert api_message == message
    auth.login(admin.email)
    form = BrowserForm(client.get("/studies/new").get_data(as_text=True))
    page = client.post("/studies/new", data=form.data(title="A study", **web))
    assert page.status_code == 422
    assert html_module.escape(api_message, quote=False) in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Study.id))) == 0
