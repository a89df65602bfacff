"""The question kinds on the web pages (issue 11): the moderator's item form
for every kind, the panellist's questionnaire with each kind's input, its
refusals named by item, the autosave, and the round-2 feedback of each kind,
equal to round 1's frozen statistics. Real forms with their CSRF tokens."""
from __future__ import annotations

import html as html_module
import re

import pytest
from sqlalchemy import func, select

import rounds
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import (
    add_mixed_items,
    answer_round,
    build_study,
    close,
    get_round,
    open_round_of,
    panellist_of,
)

pytestmark = pytest.mark.csrf


def fmt(value) -> str:
    """A figure as the page writes it (at most two decimals)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def post_form(client, url, data, *, page=None):
    """Post ``data`` to the form at ``url`` with the page's CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(html)})


class Login:
    """Log in through the real form, CSRF token and all."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        response = post_form(self.client, "/login", {"email": email, "password": password})
        assert response.status_code in (302, 303), response.status_code
        return response


@pytest.fixture
def auth(client):
    return Login(client)


def errors_on(html: str) -> dict[str, str]:
    """The form errors beside the fields: {field id: message}."""
    return {name: html_module.unescape(text) for name, text in
            re.findall(r'<p class="error" id="([^"]+)-error">([^<]*)</p>', html)}


def error_list(html: str) -> list[str]:
    """The questionnaire's list of errors at the top (each names its item)."""
    return [html_module.unescape(t) for t in re.findall(r'<li><a href="#[^"]+">([^<]*)</a></li>', html)]


def item_prefix(html: str, item: int) -> str:
    """How the list of errors names ``item``: "Item 3 “" (its number on the page, then its text)."""
    number = re.findall(r'<p class="item-number">Item (\d+) of', html[:html.index(f'id="item-{item}-title"')])[-1]
    return f"Item {number} “"


def item_count(app, study_id) -> int:
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        return db.session.scalar(select(func.count(Item.id)).where(Item.study_id == study_id))


def last_item(app, study_id):
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.study_id == study_id)
                                  .order_by(Item.id.desc())).first()
        return item.code, item.kind, dict(item.params or {})


def add_indicator(app, world) -> int:
    from delphi.core.database import db
    from delphi.core.models import Indicator, TaskForce

    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == world.task_force))
        indicator = Indicator(task_force_id=tf.id, position=99, name="Projects evaluated a year",
                              unit="projects", baseline_value=7.0, baseline_year=2020,
                              target_2030_value=30.0, target_2050_value=60.0, translations={})
        db.session.add(indicator)
        db.session.commit()
        return indicator.id


# -- The moderator's item form ----------------------------------------------------------

def test_the_moderator_adds_an_item_of_each_kind_through_the_form(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=2)
    indicator = add_indicator(app, world)
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/items/new"
    page = client.get(url).get_data(as_text=True)
    for kind in ("rating", "estimate", "probability", "year", "ranking"):
        assert f'value="{kind}"' in page
    assert "Projects evaluated a year (projects)" in page  # the task force's indicators

    cases = [
        ({"kind": "rating"}, "rating", {}),
        ({"kind": "estimate", "estimate_unit": "%", "estimate_min": "0", "estimate_max": "100",
          "estimate_quantiles": "1", "baseline_value": "14,3", "baseline_year": "2019",
          "target_value": "100", "target_year": "2030"},
         "estimate", {"unit": "%", "min": 0.0, "max": 100.0, "quantiles": True, "indicator": None,
                      "baseline": {"value": 14.3, "year": 2019},
                      "target": {"value": 100.0, "year": 2030}}),
        ({"kind": "estimate", "estimate_min": "0", "estimate_max": "500", "estimate_quantiles": "0",
          "estimate_indicator": str(indicator), "target": "2050"},
         "estimate", {"unit": "projects", "min": 0.0, "max": 500.0, "quantiles": False,
                      "indicator": indicator, "baseline": {"value": 7.0, "year": 2020},
                      "target": {"value": 60.0, "year": 2050}}),
        ({"kind": "probability", "event_year": "2030"}, "probability", {"event_year": 2030}),
        ({"kind": "year", "year_min": "2025", "year_max": "2050"}, "year", {"min": 2025, "max": 2050}),
        ({"kind": "ranking", "ranking_options": "Training\n\nFunding\nMonitoring\n",
          "ranking_item": [str(world.item_ids[0])], "top_k": "2"},
         "ranking", {"options": [{"id": 1, "text": "Training"}, {"id": 2, "text": "Funding"},
                                 {"id": 3, "text": "Monitoring"}, {"id": 4, "item": world.item_ids[0]}],
                     "top_k": 2}),
    ]
    for number, (fields, kind, params) in enumerate(cases, start=1):
        response = post_form(client, url, {"text": f"Question {number}", **fields})
        assert response.status_code == 303, errors_on(response.get_data(as_text=True))
        _code, stored_kind, stored = last_item(app, world.study_id)
        assert (stored_kind, stored) == (kind, params)
    show = client.get(f"/studies/{world.study_id}").get_data(as_text=True)
    for label in ("Estimate", "Probability", "Year", "Ranking"):
        assert f"<td>{label}</td>" in show


@pytest.mark.parametrize(("fields", "where", "message"), [
    ({"kind": "estimate", "estimate_min": "0", "estimate_max": "ten"}, "estimate_max", "Enter a number."),
    ({"kind": "estimate", "estimate_min": "10", "estimate_max": "5"}, "estimate_max",
     "The highest value must be above the lowest."),
    ({"kind": "estimate", "estimate_min": "0", "estimate_max": "100", "target_value": "150",
      "target_year": "2030"}, "target_value", "Keep it within the bounds (0 to 100)."),
    ({"kind": "estimate", "estimate_min": "0", "estimate_max": "100", "estimate_indicator": "999999"},
     "estimate_indicator", "No such indicator in the plan."),
    ({"kind": "probability", "event_year": "soon"}, "event_year", "Enter a year from 1900 to 2300."),
    ({"kind": "year", "year_min": "2050", "year_max": "2030"}, "year_max",
     "The last year must come after the first."),
    ({"kind": "ranking", "ranking_options": "Only one"}, "ranking_options", "Give from 2 to 30 options."),
    ({"kind": "ranking", "ranking_options": "A\nB\na"}, "ranking_options",
     "Option 3: Each option may appear only once."),
    ({"kind": "ranking", "ranking_options": "A\nB\nC", "top_k": "3"}, "top_k",
     "Enter a whole number from 1 to 2, or nothing."),
    ({"kind": "ranking", "ranking_options": "A\x00\nB"}, "ranking_options",
     "Option 1: Remove the control characters or broken characters from this text."),
    ({"kind": "guess"}, "kind", "Choose one of: rating, estimate, probability, year, ranking."),
])
def test_bad_parameters_give_form_errors_and_add_nothing(app, client, auth, fields, where, message):
    world = build_study(app, n_panellists=3, n_items=1)
    auth.login(world.moderator)
    before = item_count(app, world.study_id)
    response = post_form(client, f"/studies/{world.study_id}/items/new", {"text": "A question", **fields})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_on(html).get(where) == message
    assert f'id="{where}"' in html and 'aria-invalid="true"' in html
    assert item_count(app, world.study_id) == before
    # What was typed is still in the form.
    for name, value in fields.items():
        if name in ("estimate_min", "estimate_max", "event_year", "year_min", "year_max", "top_k"):
            assert f'value="{value}"' in html


def test_the_moderator_edits_an_items_parameters(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=1)
    add_mixed_items(app, world)
    ranking = world.item_ids[-1]
    estimate = world.item_ids[1]
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/items/{ranking}").get_data(as_text=True)
    assert "Training\nFunding\nMonitoring\nPolicy dialogue" in html_module.unescape(page)
    response = post_form(client, f"/studies/{world.study_id}/items/{ranking}", {
        "text": "Rank these strategies", "ranking_options": "Training\nFunding\nMonitoring",
        "top_k": "1"})
    assert response.status_code == 303
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        assert db.session.get(Item, ranking).params == {
            "options": [{"id": 1, "text": "Training"}, {"id": 2, "text": "Funding"},
                        {"id": 3, "text": "Monitoring"}], "top_k": 1}
    response = post_form(client, f"/studies/{world.study_id}/items/{estimate}", {
        "text": "Share", "estimate_unit": "%", "estimate_min": "50", "estimate_max": "20"})
    assert response.status_code == 422
    assert errors_on(response.get_data(as_text=True))["estimate_max"] == \
        "The highest value must be above the lowest."
    with app.app_context():
        assert db.session.get(Item, estimate).params["min"] == 0.0


# -- The questionnaire ------------------------------------------------------------------

@pytest.fixture
def mixed(app):
    world = build_study(app, n_panellists=7, n_items=1, carry_forward="all")
    ids = add_mixed_items(app, world)
    open_round_of(app, world, 1)
    return world, ids


def url_of(world, number=1):
    return f"/panel/studies/{world.study_id}/rounds/{number}"


def stored(app, world, email, number=1):
    """The panellist's response: (status, draft ratings, counted answers {item: answer})."""
    from delphi.core.database import db
    from delphi.core.models import Rating, Response

    with app.app_context():
        response = db.session.scalar(select(Response).where(
            Response.round_id == get_round(world, number).id,
            Response.panellist_id == panellist_of(world, email).id))
        if response is None:
            return None, {}, {}
        counted = {item: (value if criterion else answer) for item, criterion, value, answer in
                   db.session.execute(select(Rating.item_id, Rating.criterion, Rating.value,
                                             Rating.answer).where(Rating.response_id == response.id))}
        return response.status.value, dict((response.draft or {}).get("ratings") or {}), counted


def good_answers(world, ids) -> dict:
    rating = world.item_ids[0]
    quantiles, single, probability, year, ranking = ids
    return {f"r-{rating}-importance": "4",
            f"v-{quantiles}-p10": "20", f"v-{quantiles}-p50": "35,5", f"v-{quantiles}-p90": "60",
            f"v-{single}": "42", f"v-{probability}": "70", f"v-{year}": "later",
            f"v-{ranking}-1": "3", f"v-{ranking}-2": "1", f"v-{ranking}-3": "4", f"v-{ranking}-4": "2"}


def test_the_questionnaire_shows_each_kinds_input(app, client, auth, mixed):
    world, (quantiles, single, probability, _year, ranking) = mixed
    auth.login(world.panellists[0])
    html = client.get(url_of(world)).get_data(as_text=True)
    for part in ("p10", "p50", "p90"):
        assert re.search(rf'<input type="number" [^>]*step="any" min="0" max="100" id="v-{quantiles}-{part}"', html)
    assert "low ≤ most likely ≤ high" in html
    assert re.search(rf'step="any" min="0" max="500" id="v-{single}" name="v-{single}"[^>]*'
                     rf'aria-describedby="v-{single}-hint"', html)
    assert "A number from 0 to 500." in html and "events" in html
    assert re.search(rf'min="0" max="100" id="v-{probability}"', html)
    assert "How likely is it to happen by 2030?" in html
    assert '<option value="2025">2025</option>' in html and '<option value="later">Later than 2050</option>' in html
    assert f'<select id="v-{ranking}-4" name="v-{ranking}-4"' in html
    assert f'<label for="v-{ranking}-1">Rank 1</label>' in html
    for item in ids_of(mixed):
        assert f'name="na-{item}" id="na-{item}" value="1"' in html


def ids_of(mixed):
    return mixed[1]


def test_a_panellist_answers_a_mixed_round_and_submits(app, client, auth, mixed):
    world, ids = mixed
    quantiles, single, probability, year, ranking = ids
    me = world.panellists[0]
    auth.login(me)
    response = post_form(client, url_of(world), {"action": "save", **good_answers(world, ids)})
    assert response.status_code == 303
    status, draft, counted = stored(app, world, me)
    assert status == "draft" and not counted
    assert draft[f"{quantiles}:"] == {"value": {"p10": 20.0, "p50": 35.5, "p90": 60.0}}
    assert draft[f"{ranking}:"] == {"value": [3, 1, 4, 2]}
    html = client.get(url_of(world)).get_data(as_text=True)
    assert f'id="v-{quantiles}-p50" name="v-{quantiles}-p50" value="35.5"' in html
    assert '<option value="later" selected>' in html
    assert re.search(rf'<select id="v-{ranking}-1" name="v-{ranking}-1".*?<option value="3" selected>',
                     html, re.DOTALL)
    # "Cannot answer" on the estimate, then submit.
    data = {"action": "submit", **good_answers(world, ids), f"na-{single}": "1"}
    response = post_form(client, url_of(world), data)
    assert response.status_code == 303
    status, _draft, counted = stored(app, world, me)
    assert status == "submitted"
    assert counted == {world.item_ids[0]: 4, quantiles: {"p10": 20.0, "p50": 35.5, "p90": 60.0},
                       single: None, probability: 70.0, year: "later", ranking: [3, 1, 4, 2]}
    html = client.get(url_of(world)).get_data(as_text=True)
    assert f'name="na-{single}" id="na-{single}" value="1" checked' in html


BAD = {  # (item index, fields, the field marked, the message)
    "quantiles out of order": (0, {"p10": "50", "p50": "40", "p90": "60"}, "p50",
                               "Put the values in order: low (P10) ≤ most likely (P50) ≤ high (P90)."),
    "quantile missing": (0, {"p10": "10", "p50": "", "p90": "60"}, "p50", "Enter a number from 0 to 100."),
    "estimate out of bounds": (1, {"": "501"}, "", "Enter a number from 0 to 500."),
    "estimate not a number": (1, {"": "forty\x00two"}, "", "Enter a number from 0 to 500."),
    "estimate huge": (1, {"": "9" * 1_000_000}, "", "Enter a number from 0 to 500."),
    "probability above 100": (2, {"": "101"}, "", "Enter a percentage from 0 to 100."),
    "probability not finite": (2, {"": "nan"}, "", "Enter a percentage from 0 to 100."),
    "year out of bounds": (3, {"": "2051"}, "", 'Choose a year from 2025 to 2050, or "later".'),
    "year not a year": (3, {"": "soon"}, "", 'Choose a year from 2025 to 2050, or "later".'),
    "ranking repeated": (4, {"1": "1", "2": "1", "3": "2", "4": "3"}, "", "Each option may be ranked only once."),
    "ranking incomplete": (4, {"1": "1", "2": "", "3": "2", "4": ""}, "", "Rank all 4 options."),
    "ranking unknown option": (4, {"1": "1", "2": "2", "3": "3", "4": "99"}, "",
                               "This is not an option of this item."),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_answer_is_refused_naming_the_item_and_changes_nothing(app, client, auth, mixed, case):
    world, ids = mixed
    index, fields, part, message = BAD[case]
    item = ids[index]
    me = world.panellists[0]
    auth.login(me)
    assert post_form(client, url_of(world), {"action": "submit", **good_answers(world, ids)}).status_code == 303
    before = stored(app, world, me)
    data = {"action": "save", **good_answers(world, ids)}
    for name in [n for n in data if n == f"v-{item}" or n.startswith(f"v-{item}-")]:
        del data[name]
    for key, value in fields.items():
        data[f"v-{item}" + (f"-{key}" if key else "")] = value
    data[f"r-{world.item_ids[0]}-importance"] = "1"  # a good change alongside: not saved either
    response = post_form(client, url_of(world), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    marked = f"v-{item}" + (f"-{part}" if part else "")
    assert errors_on(html)[marked] == message
    entries = [e for e in error_list(html) if e.startswith(item_prefix(html, item))]
    assert len(entries) == 1 and entries[0].endswith(f"”: {message}")  # one entry, naming the item
    assert re.search(rf'id="{marked}"[^>]*aria-describedby="[^"]*{marked}-error"', html)
    # What was typed is kept on the page (a long one cut to 100 characters) ...
    for key, value in fields.items():
        name = f"v-{item}" + (f"-{key}" if key else "")
        if value and len(value) < 100 and "\x00" not in value:
            assert (f'name="{name}" value="{value}"' in html
                    or re.search(rf'id="{name}" name="{name}"[^>]*>(?:(?!</select>).)*'
                                 rf'<option value="{value}" selected>', html, re.DOTALL))
    assert re.search(rf'name="r-{world.item_ids[0]}-importance" value="1" checked', html)
    # ... and nothing stored changed.
    assert stored(app, world, me) == before


def test_autosave_saves_and_refuses_the_kinds_answers(app, client, auth, mixed):
    world, ids = mixed
    quantiles, _single, _probability, year, ranking = ids
    me = world.panellists[0]
    auth.login(me)
    page = client.get(url_of(world)).get_data(as_text=True)
    token = csrf_token_from(page)
    autosave = url_of(world) + "/autosave"
    response = client.post(autosave, data={**good_answers(world, ids), "csrf_token": token},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "draft"
    assert stored(app, world, me)[1][f"{ranking}:"]["value"] == [3, 1, 4, 2]
    bad = {**good_answers(world, ids), f"v-{quantiles}-p90": "5", "csrf_token": token}
    response = client.post(autosave, data=bad, headers={"X-CSRFToken": token})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        f"v-{quantiles}-p90": "Put the values in order: low (P10) ≤ most likely (P50) ≤ high (P90)."}
    # Submitting with a question unanswered names it.
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    auth.login(world.panellists[1])
    data = {"action": "submit", **good_answers(world, ids)}
    del data[f"v-{year}"]
    response = post_form(client, url_of(world), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_on(html)[f"v-{year}"] == 'Answer this question, or answer "cannot answer".'


# -- Feedback -------------------------------------------------------------------------

def test_round_two_shows_each_kinds_feedback_equal_to_round_ones_statistics(app, client, auth, mixed):
    world, ids = mixed
    quantiles, single, probability, year, ranking = ids
    me = world.panellists[0]
    auth.login(me)
    mine = {"action": "submit", **good_answers(world, ids)}
    assert post_form(client, url_of(world), mine).status_code == 303
    answer_round(app, world, 1, who=world.panellists[1:], seed=3)
    close(app, world, 1)
    with app.app_context():
        results = {row["item"]: row for row in rounds.round_results(get_round(world, 1))["items"]}
    open_round_of(app, world, 2)
    html = client.get(url_of(world, 2)).get_data(as_text=True)
    sections = {item: re.search(rf'<section class="item" id="item-{item}".*?</section>', html, re.DOTALL).group(0)
                for item in ids}

    def cells(section):
        return {html_module.unescape(k): html_module.unescape(v) for k, v in
                re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', section)}

    nbsp = "\u00a0"
    for item, unit in ((quantiles, nbsp + "%"), (single, nbsp + "events"), (probability, nbsp + "%")):
        row, figures = results[item], cells(sections[item])
        assert figures["Group median"] == fmt(row["median"]) + unit
        assert figures["Interquartile range (middle half of the panel)"] == (
            f"{fmt(row['q1'])}{unit} – {fmt(row['q3'])}{unit} (IQR {fmt(row['iqr'])}{unit})")
        assert figures["Number of answers"] == str(row["n"])
        assert '<svg class="strip"' in sections[item] and 'aria-hidden="true"' in sections[item]
        values = ", ".join(fmt(v) for v in row["details"]["values"])
        assert f"The panel's answers:</span> {values}" in html_module.unescape(sections[item])
    aggregate = results[quantiles]["aggregate"]
    assert cells(sections[quantiles])["The panel's combined distribution (average of the quantiles)"] == (
        f"low {fmt(aggregate['p10'])}{nbsp}%, most likely {fmt(aggregate['p50'])}{nbsp}%, "
        f"high {fmt(aggregate['p90'])}{nbsp}%")
    assert cells(sections[quantiles])["Baseline"] == f"14.3{nbsp}% (2019)"
    assert cells(sections[quantiles])["Target"] == f"100{nbsp}% (2030)"
    assert cells(sections[quantiles])["Your previous answer"] == f"low 20, most likely 35.5, high 60{nbsp}%"
    assert 'class="baseline"' in sections[quantiles] and 'class="target"' in sections[quantiles]
    assert 'class="own"' in sections[quantiles]
    assert cells(sections[probability])["Your previous answer"] == f"70{nbsp}%"

    row, figures = results[year], cells(sections[year])
    assert figures["Share answering later than 2050"] == f"{fmt(100 * row['later_share'])}{nbsp}%"
    assert figures["Your previous answer"] == "later than 2050"
    median = "later than 2050" if row["median_later"] else fmt(int(row["median"]))
    assert figures["Group median"] == median

    row = results[ranking]
    table = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num" data-label="Mean rank">([^<]*)</td>\s*'
                       r'<td class="num" data-label="In the top three">([^<]*)(?:<meter[^>]*></meter>)?</td>\s*'
                       r'<td class="num" data-label="Your rank">([^<]*)</td></tr>',
                       html_module.unescape(sections[ranking]))
    names = {1: "Training", 2: "Funding", 3: "Monitoring", 4: "Policy dialogue"}
    expected = sorted(row["options"], key=lambda o: o["mean_rank"])
    assert [t[0] for t in table] == [names[o["option"]] for o in expected]
    assert [t[1] for t in table] == [fmt(o["mean_rank"]) for o in expected]
    assert [t[2] for t in table] == [f"{fmt(100 * o['top3_share'])}{nbsp}% " for o in expected]
    my_rank = {3: "1", 1: "2", 4: "3", 2: "4"}
    assert [t[3] for t in table] == [my_rank[o["option"]] for o in expected]
    assert cells(sections[ranking])["Agreement of the panel (Kendall's W, 0 to 1)"] == fmt(row["w"])
    assert "<script" not in html.split("</main>")[0] and " style=" not in html


def test_suppressed_feedback_says_so(app, client, auth):
    world = build_study(app, n_panellists=4, n_items=1, carry_forward="all")
    ids = add_mixed_items(app, world)
    answer_round(app, world, 1, who=world.panellists[:3], seed=1)
    close(app, world, 1)
    open_round_of(app, world, 2)
    auth.login(world.panellists[0])
    html = client.get(url_of(world, 2)).get_data(as_text=True)
    for item in ids:
        section = re.search(rf'<section class="item" id="item-{item}".*?</section>', html, re.DOTALL).group(0)
        assert "Too few panellists answered this question" in section
        assert "<svg" not in section and "Group median" not in section


def test_an_answer_outside_the_panels_quartiles_asks_for_a_reason(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1, carry_forward="all",
                        require_reason_outside_iqr=True)
    ids = add_mixed_items(app, world)
    probability = ids[2]
    answer_round(app, world, 1, lambda email, item, c: 50.0 if item == probability else
                 (3 if c else None), seed=2)
    close(app, world, 1)
    open_round_of(app, world, 2)
    me = world.panellists[0]
    auth.login(me)
    data = {"action": "submit", f"r-{world.item_ids[0]}-importance": "3",
            **{f"na-{item}": "1" for item in ids}}
    del data[f"na-{probability}"]
    data[f"v-{probability}"] = "90"  # the panel said 50 (IQR 50 – 50)
    response = post_form(client, url_of(world, 2), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    reason = f"reason-{probability}-"
    message = "Your answer lies outside the group's interquartile range: please give a reason."
    assert errors_on(html)[reason] == message
    entries = [e for e in error_list(html) if e.startswith(item_prefix(html, probability))]
    assert len(entries) == 1 and entries[0].endswith(f"”: {message}")  # one entry, naming the item
    assert f'name="v-{probability}" value="90"' in html
    response = post_form(client, url_of(world, 2), {**data, reason: "New evidence from the NDC synthesis."})
    assert response.status_code == 303
    status, _draft, answers = stored(app, world, me, 2)
    assert status == "submitted" and answers[probability] == 90.0
