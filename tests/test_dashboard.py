"""The study dashboard, as moderators, researchers and others see it (issue 5).

A study of 14 panellists (6 research, 5 NGO, 3 farmers) on 4 items and two
criteria goes through two closed rounds and an open third; the tests read the
frozen statistics from the database and look for them in the page.
"""
from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

import rounds
from tests.factories import answer_round, build_study, close, get_round, open_round_of

GROUPS = ["research"] * 6 + ["ngo"] * 5 + ["farmers"] * 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- building the study -------------------------------------------------------

def _value(world, email, item_id, criterion, number):
    """Deterministic ratings: groups differ on item 1, converge over rounds."""
    i = world.panellists.index(email)
    group = GROUPS[i]
    k = world.item_ids.index(item_id)
    if k == 0:
        return {"research": 5, "ngo": 4, "farmers": 1}[group]
    base = 3 + ((i + k + (criterion == "feasibility")) % 3) - 1   # 2, 3 or 4
    if number >= 2 and k == 1:
        return 5 if i % 4 else 4                                   # item 2 converges
    return base


def build_closed(app, *, open_third=False, answering=()):
    """Two closed rounds; optionally round 3 open with ``answering`` indices submitted."""
    from delphi.core.database import db
    from delphi.core.models import User

    world = build_study(app, n_panellists=len(GROUPS), n_items=4,
                        criteria=("importance", "feasibility"))
    with app.app_context():
        for email, group in zip(world.panellists, GROUPS):
            db.session.scalar(select(User).where(User.email == email)).stakeholder_group = group
        db.session.commit()
    for number in (1, 2):
        answer_round(app, world, number,
                     lambda e, item, c, n=number: _value(world, e, item, c, n))
        close(app, world, number)
    if open_third:
        open_round_of(app, world, 3)
        if answering:
            answer_round(app, world, 3, lambda e, item, c: _value(world, e, item, c, 3),
                         who=[world.panellists[i] for i in answering])
    return world


# -- reading the page ---------------------------------------------------------

class _Tables(HTMLParser):
    """Rows of every ``<table id=...>``: ``{id: [(tr attrs, [cell text])]}``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id")
            if self._table:
                self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = (attrs, [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def num(value, places=2):
    """How the page prints a number (the format is the page's contract)."""
    if value is None:
        return "—"
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pct(value):
    return "—" if value is None else f"{value * 100:.1f}%"


VERDICT_TEXT = {"consensus_in": "Consensus to include", "consensus_out": "Consensus to exclude",
                "no_consensus": "No consensus", "insufficient_n": "Too few responses"}


def frozen(app, world, number):
    from delphi.core.database import db
    from delphi.core.models import Item, ItemStatistics, RoundStatistics

    with app.app_context():
        rnd = get_round(world, number)
        rows = db.session.execute(select(ItemStatistics, Item.code).join(
            Item, Item.id == ItemStatistics.item_id).where(ItemStatistics.round_id == rnd.id)).all()
        stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == rnd.id))
        items = {(s.item_id, s.criterion): (s, code) for s, code in rows}
        for s, _code in items.values():
            db.session.expunge(s)
        db.session.expunge(stats)
        return items, stats


def page(client, world, number, **args):
    response = client.get(f"/studies/{world.study_id}/dashboard/rounds/{number}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# -- the numbers --------------------------------------------------------------

def test_the_item_table_shows_the_frozen_statistics(app, client, auth):
    world = build_closed(app)
    items, stats = frozen(app, world, 2)
    auth.login(world.moderator)
    html = page(client, world, 2)
    rows = tables(html)["item-table"][1:]   # the first row is the header
    assert len(rows) == len(items) == 6   # item 1 reached consensus in round 1
    seen = set()
    for attrs, cells in rows:
        key = (int(attrs["data-item"]), attrs["data-criterion"])
        s, code = items[key]
        seen.add(key)
        assert cells[0].startswith(code)
        assert cells[1] == s.criterion
        assert cells[2:8] == [str(s.n), num(s.median), num(s.iqr), pct(s.agreement),
                              pct(s.disagreement), VERDICT_TEXT[s.verdict]]
    assert seen == set(items)

    # Kendall's W per criterion, with its interpretation and p-value.
    concordance = {cells[0]: cells for _a, cells in tables(html)["concordance-chart-table"][1:]}
    for criterion, data in stats.concordance.items():
        row = concordance[criterion]
        assert row[1] == num(data["w"], 3)
        assert row[2] in ("very weak", "weak", "moderate", "strong", "unusually strong")
        p = data["pvalue"]
        assert row[5] == ("< 0.001" if p < 0.001 else num(p, 3))

    # Response rate of the round as frozen; attrition from round 1 to 2.
    participation = {cells[0]: cells for _a, cells in tables(html)["participation-chart-table"][1:]}
    assert participation["2"][1:5] == [str(stats.invited), str(stats.started),
                                       str(stats.submitted), pct(stats.response_rate)]
    assert participation["2"][5:8] == ["14", "0", "0"]   # stayers, dropouts, newcomers
    assert participation["1"][5:8] == ["—", "—", "—"]

    # The stopping rule's verdict is stated.
    verdict = "stop the study" if stats.stopping.get("stop") else "continue with another round"
    assert verdict in html


def test_round_comparison_shows_how_each_item_moved(app, client, auth):
    world = build_closed(app)
    before, _ = frozen(app, world, 1)
    after, stats = frozen(app, world, 2)
    auth.login(world.researcher)
    rows = tables(page(client, world, 2))["comparison-table"][1:]
    assert len(rows) == len(after)
    for _attrs, cells in rows:
        key = next(k for k, (s, code) in after.items()
                   if cells[0] == code and cells[1] == k[1])
        old, new = before[key][0], after[key][0]
        assert cells[2] == " · ".join(map(str, old.counts)) + " → " + " · ".join(map(str, new.counts))
        assert cells[3].startswith(f"{num(old.median)} → {num(new.median)}")
        assert cells[5] == f"{pct(old.agreement)} → {pct(new.agreement)}"
        stability = stats.stability[f"{key[0]}:{key[1]}"]
        assert cells[7].startswith("stable" if stability["stable"] else "not stable")


def test_the_item_table_sorts_and_filters_without_javascript(app, client, auth):
    world = build_closed(app)
    items, _ = frozen(app, world, 2)
    auth.login(world.moderator)
    html = page(client, world, 2, criterion="feasibility", sort="agreement", dir="desc")
    rows = tables(html)["item-table"][1:]
    assert {cells[1] for _a, cells in rows} == {"feasibility"}
    shown = [items[(int(a["data-item"]), "feasibility")][0].agreement for a, _c in rows]
    expected = sorted((s.agreement for (i, c), (s, _code) in items.items() if c == "feasibility"),
                      reverse=True)
    assert shown == expected

    wanted = next(s.verdict for s, _code in items.values())
    rows = tables(page(client, world, 2, verdict=wanted))["item-table"][1:]
    assert rows and all(cells[7] == VERDICT_TEXT[wanted] for _a, cells in rows)
    assert len(rows) == sum(1 for s, _c in items.values() if s.verdict == wanted)

    rows = tables(page(client, world, 2, q="option 3"))["item-table"][1:]
    assert [cells[0][:3] for _a, cells in rows] == ["I03", "I03"]

    # Unknown values fall back to the defaults instead of failing.
    rows = tables(page(client, world, 2, sort="drop table", criterion="nope", dir="x"))["item-table"][1:]
    assert len(rows) == len(items)


# -- subgroups ----------------------------------------------------------------

def test_subgroup_cells_under_five_are_suppressed_with_no_total_to_subtract(app, client, auth):
    world = build_closed(app)
    auth.login(world.researcher)
    html = page(client, world, 2, by="stakeholder_group")
    found = tables(html)
    table = found["subgroups-stakeholder_group-importance"]
    header = table[0][1]
    assert header[1:4] == ["Farmers and land managers", "NGO and civil society",
                           "Research and academia"]
    for _attrs, cells in table[1:]:
        farmers, ngo, research = cells[1:4]
        assert farmers == "<5"            # 3 answers: suppressed
        assert ngo == "<5"                # 5 answers, but would give the farmers away
        assert research.startswith("n=6 ")
        assert "n=3" not in " ".join(cells) and "n=5" not in " ".join(cells)
    # No group totals anywhere: the only n beside the groups is the whole panel.
    assert "n=8" not in html and "n=9" not in html
    # Divergence is not tested on a single unsuppressed group.
    assert all(cells[-1] == "No" for _a, cells in table[1:])


def test_subgroups_read_the_ratings_that_were_given(app):
    """The subgroups' arrays (the adapter's packed read) are the answers given:
    "cannot rate" as NaN, 9-point values; a panellist who withdraws after the
    close stays in the closed round's arrays, whose figures never change."""
    import numpy as np

    from delphi.core.database import db
    from delphi.core.models import Panellist, PanellistStatus
    from tests.factories import panellist_of

    world = build_study(app, n_panellists=9, n_items=5, criteria=("importance", "feasibility"),
                        scale_points=9)
    given = answer_round(app, world, 1, seed=3)
    close(app, world, 1)
    assert any(v is None for answers in given.values() for item in answers.values()
               for v in item.values())      # some "cannot rate"
    with app.app_context():
        gone = db.session.get(Panellist, panellist_of(world, world.panellists[2]).id)
        gone.status = PanellistStatus.withdrawn
        db.session.commit()
        everyone = sorted((panellist_of(world, e).id, e) for e in world.panellists)
        arrays = rounds.round_matrices(get_round(world, 1))
        assert [int(p) for p in arrays.panellist_ids] == [pid for pid, _e in everyone]
        assert arrays.item_ids == world.item_ids
        for criterion in ("importance", "feasibility"):
            expected = np.array([[np.nan if given[e][i][criterion] is None
                                  else given[e][i][criterion] for i in world.item_ids]
                                 for _pid, e in everyone], dtype=float)
            assert np.array_equal(arrays.matrices[criterion], expected, equal_nan=True)
        assert np.nanmax(arrays.matrices["importance"]) <= 9


def test_groups_that_diverge_while_the_panel_agrees_are_flagged(app, client, auth):
    from delphi.core.database import db
    from delphi.core.models import User

    # 7 research rate item 1 at 5, 7 ngo at 4: the panel agrees (all in the top
    # two points, IQR 1) but the two groups differ (Kruskal-Wallis p < 0.05).
    world = build_study(app, n_panellists=14, n_items=2, criteria=("importance",))
    with app.app_context():
        for i, email in enumerate(world.panellists):
            user = db.session.scalar(select(User).where(User.email == email))
            user.stakeholder_group = "research" if i < 7 else "ngo"
        db.session.commit()
    answer_round(app, world, 1, lambda e, item, c: (5 if world.panellists.index(e) < 7 else 4)
                 if item == world.item_ids[0] else 3)
    close(app, world, 1)
    auth.login(world.moderator)
    html = page(client, world, 1, by="stakeholder_group")
    rows = tables(html)["subgroups-stakeholder_group-importance"][1:]
    assert rows[0][1][-1] == "Yes" and rows[1][1][-1] == "No"
    item_rows = tables(html)["item-table"][1:]
    assert item_rows[0][1][8].startswith("Yes")
    filtered = tables(page(client, world, 1, diverging="1"))["item-table"][1:]
    assert [cells[0][:3] for _a, cells in filtered] == ["I01"]


def test_panel_composition_is_set_against_the_task_force(app, client, auth):
    world = build_closed(app)
    auth.login(world.moderator)
    found = tables(page(client, world, 2))
    groups = {cells[0]: cells[1:] for _a, cells in found["composition-stakeholder_group"][1:]}
    assert groups["NGO and civil society"] == ["5 (35.7%)", "5 (35.7%)"]
    assert groups["Farmers and land managers"] == ["3 (21.4%)", "3 (21.4%)"]
    roles = {cells[0]: cells[1:] for _a, cells in found["composition-role"][1:]}
    assert roles["Team Member"] == ["14 (100.0%)", "14 (100.0%)"]
    assert set(found) >= {"composition-region", "composition-organisation_status"}


# -- access and anonymity -----------------------------------------------------

def test_a_panellist_and_other_members_get_403(app, client, auth, make_user):
    world = build_closed(app)
    base = f"/studies/{world.study_id}/dashboard"
    outsider = make_user()
    for email in (world.panellists[0], outsider.email):
        auth.login(email)
        for path in (base, f"{base}/rounds/2", f"{base}/rounds/2/charts/verdicts.png",
                     f"{base}/rounds/2/items/{world.item_ids[0]}",
                     f"{base}/rounds/2/items/{world.item_ids[0]}/distribution.svg"):
            assert client.get(path).status_code == 403, (email, path)
        assert client.post(f"{base}/rounds/2/remind").status_code == 403
        auth.logout()
    assert client.get(base).status_code == 302   # anonymous: to the login page


def test_moderators_see_who_has_not_answered_and_researchers_see_no_names(app, client, auth):
    world = build_closed(app, open_third=True, answering=range(10))
    waiting = world.panellists[10:]
    answered = world.panellists[:10]
    panellist_names = [world.names[e] for e in world.panellists]

    auth.login(world.moderator)
    html = page(client, world, 3)
    for email in waiting:
        assert world.names[email] in html
    for email in answered:
        assert world.names[email] not in html
    assert "Not yet submitted (4)" in html
    auth.logout()

    auth.login(world.researcher)
    for number in (1, 2, 3):
        html = page(client, world, number)
        for name in panellist_names:
            assert name not in html
        for email in world.panellists:
            assert email not in html and world.organisations[email] not in html
    assert "Not yet submitted (4)" in html
    assert 'name="panellist"' not in html
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/2/items/{world.item_ids[0]}"
                      ).get_data(as_text=True)
    assert not any(name in html for name in panellist_names)


def test_remind_sends_only_to_chosen_non_responders(app, client, auth, monkeypatch):
    from delphi.views import dashboard as views

    world = build_closed(app, open_third=True, answering=range(12))
    calls = []

    def fake_remind(rnd, panellists, *, actor):
        calls.append((rnd.number, sorted(p.id for p in panellists), actor.email))
        return type("Report", (), {"queued": list(panellists), "skipped": {}})()

    monkeypatch.setattr(views, "remind_panellists", fake_remind)
    from delphi.core.database import db
    from delphi.core.models import Panellist, User

    with app.app_context():
        ids = {e: db.session.scalar(select(Panellist.id).join(User, User.id == Panellist.user_id)
                                    .where(User.email == e)) for e in world.panellists}
    url = f"/studies/{world.study_id}/dashboard/rounds/3/remind"

    auth.login(world.researcher)
    assert client.post(url).status_code == 403
    auth.logout()

    auth.login(world.moderator)
    html = page(client, world, 3)
    assert 'name="panellist"' in html and ">Remind</button>" in html
    # Nothing ticked: a confirmation naming how many, and nothing sent yet.
    before = len(calls)
    response = client.post(url)
    assert response.status_code == 200 and len(calls) == before
    waiting = len(world.panellists[12:])
    assert f"this reminds all {waiting} panellists who have not answered" in response.get_data(as_text=True)
    # Everybody waiting, once confirmed.
    response = client.post(url, data={"confirm": "yes"})
    assert response.status_code == 303
    assert calls[-1] == (3, sorted(ids[e] for e in world.panellists[12:]), world.moderator)
    # Only the ticked ones, and never somebody who has submitted.
    client.post(url, data={"panellist": [str(ids[world.panellists[13]]),
                                         str(ids[world.panellists[0]])]})
    assert calls[-1][1] == [ids[world.panellists[13]]]
    assert "Reminders queued: 1." in client.get(
        f"/studies/{world.study_id}/dashboard/rounds/3").get_data(as_text=True)
    # Malformed ids are a clear 422, not a 500.
    assert client.post(url, data={"panellist": "x"}).status_code == 422
    # A closed round cannot be reminded.
    assert client.post(f"/studies/{world.study_id}/dashboard/rounds/2/remind").status_code == 409


# -- charts on the page -------------------------------------------------------

def test_every_chart_has_alt_text_and_its_numbers_beside_it(app, client, auth):
    world = build_closed(app)
    auth.login(world.moderator)
    html = page(client, world, 2)
    images = re.findall(r'<img src="([^"]+)" alt="([^"]*)" aria-describedby="([^"]+)"', html)
    assert len(images) == 6   # participation, concordance, verdicts and convergence x 2
    found = tables(html)
    for src, alt, table_id in images:
        assert alt and len(alt) > 30, src
        assert table_id in found, table_id
        src = src.replace("&amp;", "&")
        response = client.get(src)
        assert response.status_code == 200
        assert response.data.startswith(PNG_SIGNATURE)
        svg = client.get(src.replace(".png", ".svg"))
        assert svg.status_code == 200 and b"<svg" in svg.data
    # The alt text of the participation chart gives the figures of the table.
    participation_alt = next(alt for src, alt, _t in images if "participation" in src)
    assert "14 invited, 14 started, 14 submitted" in participation_alt


def _header_alt(alt: str) -> str:
    """An alt text as the image response's ``X-Chart-Alt`` header carries it."""
    alt = " ".join(html_module.unescape(alt).split())
    return alt.encode("ascii", "backslashreplace").decode()[:2000]


def test_the_page_draws_no_chart_and_shows_the_alt_text_of_each_image(app, client, auth):
    from delphi.charts.cache import cache_for

    world = build_closed(app)
    auth.login(world.moderator)
    cache = cache_for(app)
    misses, draws = cache.misses, cache.draws
    html = page(client, world, 2)
    # Nothing was drawn (or even looked up) for the page itself.
    assert cache.misses == misses and cache.draws == draws
    images = re.findall(r'<img src="([^"]+)" alt="([^"]*)"', html)
    assert len(images) == 6
    for src, alt in images:
        response = client.get(src.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response.headers["X-Chart-Alt"] == _header_alt(alt), src
    assert cache.draws == draws + 6
    # The item page too: the alt of each distribution is that of its image.
    item_page = client.get(f"/studies/{world.study_id}/dashboard/rounds/2/items/{world.item_ids[1]}")
    assert item_page.status_code == 200 and cache.draws == draws + 6
    item_html = item_page.get_data(as_text=True)
    item_images = re.findall(r'<img src="([^"]+)" alt="([^"]*)"', item_html)
    assert len(item_images) == 2
    for src, alt in item_images:
        response = client.get(src.replace("&amp;", "&"))
        assert response.headers["X-Chart-Alt"] == _header_alt(alt), src


def test_a_closed_rounds_chart_is_served_from_the_cache(app, client, auth):
    from delphi.charts.cache import cache_for

    world = build_closed(app)
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/dashboard/rounds/2/charts/verdicts.svg?criterion=feasibility"
    cache = cache_for(app)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"].startswith("private")
    hits = cache.hits
    second = client.get(url)
    assert cache.hits == hits + 1
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    third = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert third.status_code == 304 and third.data == b""


def test_the_item_page_shows_the_distribution_with_its_numbers(app, client, auth):
    world = build_closed(app)
    items, _ = frozen(app, world, 2)
    auth.login(world.researcher)
    item_id = world.item_ids[1]   # item 1 was settled in round 1
    response = client.get(f"/studies/{world.study_id}/dashboard/rounds/2/items/{item_id}")
    assert response.status_code == 200
    found = tables(response.get_data(as_text=True))
    for index, criterion in enumerate(("importance", "feasibility"), start=1):
        counts = [cells[1] for _a, cells in found[f"distribution-{index}-table"][1:]]
        assert counts == [str(c) for c in items[(item_id, criterion)][0].counts]
    assert client.get(f"/studies/{world.study_id}/dashboard/rounds/2/items/999999").status_code == 404


@pytest.mark.parametrize("path, status", [
    ("/rounds/2/charts/nope.png", 404),
    ("/rounds/2/charts/verdicts.gif", 404),
    ("/rounds/2/charts/verdicts.png?criterion=taste", 422),
    ("/rounds/3/charts/verdicts.png", 409),     # drafted, not closed
    ("/rounds/9", 404),
    ("/rounds/3", 404),                         # a draft round has no dashboard
])
def test_bad_chart_requests_get_clear_errors(app, client, auth, path, status):
    world = build_closed(app)
    auth.login(world.admin)
    assert client.get(f"/studies/{world.study_id}/dashboard{path}").status_code == status


def test_staff_find_the_dashboard_on_their_home_page(app, client, auth):
    world = build_closed(app)
    link = f'href="/studies/{world.study_id}/dashboard"'
    for email in (world.moderator, world.researcher, world.admin):
        auth.login(email)
        assert link in client.get("/me").get_data(as_text=True), email
        auth.logout()
    auth.login(world.panellists[0])
    assert link not in client.get("/me").get_data(as_text=True)
