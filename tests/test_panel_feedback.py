"""The panellist's feedback at a glance and orientation (issue 12, parts 2 and 3).

Feedback charts in inline SVG mark the frozen median, the IQR and the
panellist's own previous answer; split feedback hides small groups and the
groups that would reveal them; the questionnaire counts what is answered,
pages long rounds without losing an answer, names each item once in its error
summary, and shows deadlines in the reader's zone with the time left.
"""
from __future__ import annotations

import html as html_module
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import answer_round, build_study, close, get_round, open_round_of


def url_of(world, number=1, page=None):
    return f"/panel/studies/{world.study_id}/rounds/{number}" + (f"?page={page}" if page else "")


def post_form(client, url, data):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(html)})


def section(html: str, item_id: int) -> str:
    return re.search(rf'<section class="item" id="item-{item_id}".*?</section>', html, re.DOTALL).group(0)


def error_summary(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.DOTALL)
    if not block:
        return []
    return [(html_module.unescape(h), html_module.unescape(t))
            for h, t in re.findall(r'<li><a href="([^"]+)">([^<]*)</a></li>', block.group(0))]


def draft_of(app, world, email, number=1) -> dict:
    from delphi.core.database import db
    from delphi.core.models import Response
    from tests.factories import panellist_of

    with app.app_context():
        response = db.session.scalar(select(Response).where(
            Response.round_id == get_round(world, number).id,
            Response.panellist_id == panellist_of(world, email).id))
        return dict((response.draft or {}).get("ratings") or {}) if response else {}


# -- Feedback at a glance ----------------------------------------------------------

RATINGS = [1, 2, 3, 3, 4, 5, 5]  # panellist i rates RATINGS[i]


def test_the_chart_marks_the_frozen_median_iqr_and_own_answer(app, client, auth):
    from delphi.views.feedback_svg import point_x

    world = build_study(app, n_panellists=len(RATINGS), n_items=1, carry_forward="all")
    item = world.item_ids[0]
    rating = {email: RATINGS[i] for i, email in enumerate(world.panellists)}
    answer_round(app, world, 1, lambda email, _item, _c: rating[email])
    close(app, world, 1)
    open_round_of(app, world, 2)
    me = world.panellists[1]  # rated 2
    auth.login(me)
    html = section(client.get(url_of(world, 2)).get_data(as_text=True), item)
    # Independent figures (numpy's default quantiles are type 7, the study's method).
    median = float(np.median(RATINGS))
    q1, q3 = (float(v) for v in np.percentile(RATINGS, [25, 75]))
    assert (median, q1, q3) == (3.0, 2.5, 4.5)
    svg = re.search(r'<svg class="rating-chart".*?</svg>', html, re.DOTALL).group(0)
    assert 'role="img"' in svg and "style=" not in svg and "<script" not in svg
    title = html_module.unescape(re.search(r"<title[^>]*>([^<]*)</title>", svg).group(1))
    assert title == "importance: median 3, IQR 2.5–4.5, 7 ratings, your previous answer 2."
    line = re.search(r'<line class="median" x1="([\d.]+)"', svg)
    assert float(line.group(1)) == point_x(median, 5)
    band = re.search(r'<rect class="iqr" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    bin_width = (388 - 12) / 5
    assert float(band.group(1)) == pytest.approx(point_x(q1, 5) - bin_width / 2, abs=0.01)
    assert float(band.group(1)) + float(band.group(2)) == pytest.approx(
        point_x(q3, 5) + bin_width / 2, abs=0.02)
    tip = re.search(r'<polygon class="own" points="[^"]* ([\d.]+),16\.0"', svg)
    assert float(tip.group(1)) == point_x(2, 5)
    # One bar per point, as tall as its count; the numbers again as a table.
    counts = [RATINGS.count(p) for p in range(1, 6)]
    assert [int(c) for c in re.findall(r'<text class="count"[^>]*>(\d+)</text>', svg)] == counts
    details = re.search(r'<details class="numbers">.*?</details>', html, re.DOTALL).group(0)
    for point, count in enumerate(counts, start=1):
        assert re.search(rf'<th scope="row">{point}( · [^<]*)?</th><td class="num">{count}</td>', details)
    assert "<td>3</td>" in details and "2.5 – 4.5" in details


def test_the_strips_of_the_other_kinds_use_the_same_own_marker(app, client, auth):
    from tests.factories import add_mixed_items

    world = build_study(app, n_panellists=6, n_items=1, carry_forward="all")
    ids = add_mixed_items(app, world)
    answer_round(app, world, 1, seed=4)
    close(app, world, 1)
    open_round_of(app, world, 2)
    auth.login(world.panellists[0])
    html = client.get(url_of(world, 2)).get_data(as_text=True)
    strips = re.findall(r'<svg class="strip".*?</svg>', html, re.DOTALL)
    assert strips
    for strip in strips:
        assert "style=" not in strip
        own = re.search(r'<polygon class="own" points="([\d.]+),2\.0 ([\d.]+),2\.0 ([\d.]+),16\.0"', strip)
        if own:  # a triangle pointing down at the own answer, as on the rating charts
            left, right, tip = (float(v) for v in own.groups())
            assert tip == pytest.approx((left + right) / 2, abs=0.01)
    assert ids


def test_split_feedback_hides_small_groups_and_the_group_that_would_reveal_them(app, client, auth):
    from delphi.core.database import db
    from tests.factories import user_by_email

    # 7 research, 5 ngo, 2 farmers: farmers are under MIN_CELL (5); ngo, the smallest
    # other group, is hidden too, or the panel's n minus research's would give farmers'.
    world = build_study(app, n_panellists=14, n_items=1, carry_forward="all",
                        feedback_strata="stakeholder_group")
    groups = ["research"] * 7 + ["ngo"] * 5 + ["farmers"] * 2
    with app.app_context():
        for email, group in zip(world.panellists, groups, strict=True):
            user_by_email(email).stakeholder_group = group
        db.session.commit()
    answer_round(app, world, 1, lambda email, _i, _c: 2 + world.panellists.index(email) % 3)
    close(app, world, 1)
    open_round_of(app, world, 2)
    auth.login(world.panellists[0])
    html = section(client.get(url_of(world, 2)).get_data(as_text=True), world.item_ids[0])
    table = re.search(r'<table class="strata">.*?</table>', html, re.DOTALL).group(0)
    rows = {html_module.unescape(name): body for name, body in
            re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table, re.DOTALL)}
    research = [2 + i % 3 for i in range(7)]
    assert f'<td class="num">{len(research)}</td>' in rows["Research and academia"]
    assert f"{np.median(research):g} (" in rows["Research and academia"]
    for hidden in ("NGO and civil society", "Farmers and land managers"):
        assert "hidden" in rows[hidden] and '<td class="num">–</td>' in rows[hidden], hidden
        assert "<svg" not in rows[hidden]
    assert '<td class="num">5</td>' not in table and '<td class="num">2</td>' not in table


def test_split_feedback_is_off_by_default_and_a_wrong_setting_is_named(app):
    import rounds
    from delphi.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        rounds.Protocol.validate({"title": "T", "feedback_strata": "colour"})
    assert set(error.value.fields) == {"feedback_strata"}
    assert rounds.Protocol.validate({"title": "T"}).feedback_strata == "none"
    assert rounds.Protocol.validate({"title": "T", "feedback_strata": "region"}).feedback_strata == "region"


# -- Orientation ------------------------------------------------------------------------

def test_progress_counts_and_the_unanswered_items_link_to_their_page(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=8)
    open_round_of(app, world, 1)
    me = world.panellists[0]
    auth.login(me)
    first, *_rest, last = world.item_ids
    html = client.get(url_of(world)).get_data(as_text=True)
    assert "0 of 8 items answered" in html
    assert "Item 1 of 8" in html and "Item 5 of 8" in html and "Item 6 of 8" not in html  # page 1
    assert post_form(client, url_of(world), {"action": "save", f"r-{first}-importance": "4"}
                     ).status_code == 303
    html = client.get(url_of(world)).get_data(as_text=True)
    assert "1 of 8 items answered" in html
    unanswered = re.search(r'<details class="unanswered".*?</details>', html, re.DOTALL).group(0)
    links = re.findall(r'<li data-item="(\d+)"><a href="([^"]+)">', unanswered)
    assert [int(i) for i, _h in links] == world.item_ids[1:]
    assert dict(links)[str(last)] == f"{url_of(world)}?page=2#item-{last}"
    # The autosave sends the new count (questionnaire.js shows it).
    token = csrf_token_from(html)
    body = client.post(url_of(world) + "/autosave", data={
        "csrf_token": token, f"r-{last}-importance": "na"}, headers={"X-CSRFToken": token}).get_json()
    assert body["progress"]["answered"] == 2 and body["progress"]["total"] == 8
    assert body["progress"]["text"] == "2 of 8 items answered"
    assert body["progress"]["unanswered"] == world.item_ids[1:-1]


def test_moving_between_pages_keeps_every_answer_without_javascript(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=7)
    open_round_of(app, world, 1)
    me = world.panellists[0]
    auth.login(me)
    ids = world.item_ids
    response = post_form(client, url_of(world), {"goto": "2", f"r-{ids[0]}-importance": "5"})
    assert response.status_code == 303 and response.headers["Location"].endswith("?page=2")
    html = client.get(url_of(world, page=2)).get_data(as_text=True)
    assert f'id="item-{ids[5]}"' in html and f'id="item-{ids[0]}"' not in html
    response = post_form(client, url_of(world, page=2), {"goto": "1", f"r-{ids[6]}-importance": "2"})
    assert response.headers["Location"].endswith("?page=1")
    assert draft_of(app, world, me) == {f"{ids[0]}:importance": {"value": 5},
                                        f"{ids[6]}:importance": {"value": 2}}
    html = client.get(url_of(world, page=1)).get_data(as_text=True)
    assert f'name="r-{ids[0]}-importance" value="5" checked' in html
    # Submitting from page 2: the answers of both pages count, the missing ones are named.
    response = post_form(client, url_of(world, page=2), {"action": "submit"})
    assert response.status_code == 422
    summary = error_summary(response.get_data(as_text=True))
    assert [text.split(" “")[0] for _h, text in summary] == [f"Item {n}" for n in (2, 3, 4, 5, 6)]
    assert summary[0] == (f"{url_of(world)}?page=1#r-{ids[1]}-importance",
                          ('Item 2 “Strategy 2: measure soil organic carbon,…”: '
                           'rate it or answer "cannot rate".'))
    assert summary[-1][0] == f"#r-{ids[5]}-importance"  # on this page: a plain anchor
    assert set(draft_of(app, world, me)) == {f"{ids[0]}:importance", f"{ids[6]}:importance"}


def test_a_refused_page_move_keeps_what_was_typed(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=7)
    open_round_of(app, world, 1)
    auth.login(world.panellists[0])
    response = post_form(client, url_of(world), {"goto": "2", f"r-{world.item_ids[0]}-importance": "9"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert len(error_summary(html)) == 1 and error_summary(html)[0][1].startswith("Item 1 “")


def test_one_error_per_item_naming_it_with_two_criteria(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=3, criteria=("importance", "feasibility"))
    open_round_of(app, world, 1)
    auth.login(world.panellists[0])
    ids = world.item_ids
    response = post_form(client, url_of(world), {"action": "submit", f"r-{ids[1]}-importance": "3",
                                                 f"r-{ids[1]}-feasibility": "2"})
    assert response.status_code == 422
    summary = error_summary(response.get_data(as_text=True))
    assert [text for _h, text in summary] == [
        f'Item {n} “Strategy {n}: measure soil organic carbon,…”: rate it or answer "cannot rate".'
        for n in (1, 3)]
    assert [h for h, _t in summary] == [f"#r-{ids[0]}-importance", f"#r-{ids[2]}-importance"]


def test_the_deadline_is_shown_in_the_readers_zone_with_the_time_left(app, client, auth):
    from delphi.views.deadlines import local_time, reader_zone

    world = build_study(app, n_panellists=3, n_items=1)
    closes = (datetime.now(UTC) + timedelta(days=6, hours=3)).replace(second=0, microsecond=0)
    open_round_of(app, world, 1, closes_at=closes)
    auth.login(world.panellists[0])
    html = client.get(url_of(world)).get_data(as_text=True)
    deadline = re.search(r'<p class="lead deadline">(.*?)</p>', html, re.DOTALL).group(1)
    text = f"{closes:%B} {closes.day}, {closes.year}, {closes:%H:%M} (UTC)"
    assert f'<time datetime="{closes.isoformat()}">{text}</time>' in deadline
    assert "<strong>6 days left</strong>" in deadline
    assert 'href="/panel/help?back=' in deadline
    winter = datetime(2027, 1, 15, 16, 0, tzinfo=UTC)
    with app.test_request_context():
        assert reader_zone(type("U", (), {"time_zone": "Europe/Paris"})()) == "Europe/Paris"
        assert reader_zone(type("U", (), {"time_zone": "Mars/Olympus"})()) == "UTC"
        paris = local_time(winter, zone="Europe/Paris", remaining=True,
                           now=winter - timedelta(hours=5, minutes=10))
        assert paris.text == "January 15, 2027, 17:00 (Europe/Paris)"
        assert paris.remaining == "5 hours left"
        assert local_time(winter, remaining=True, now=winter + timedelta(minutes=1)).remaining == "closed"


def test_the_help_page_explains_the_round_and_the_feedback(client):
    html = client.get("/panel/help?back=/panel/studies/1/rounds/2").get_data(as_text=True)
    assert "interquartile range" in html and "your own previous answer" in html
    assert 'href="/panel/studies/1/rounds/2"' in html
    assert "https://evil.example" not in client.get(
        "/panel/help?back=https://evil.example").get_data(as_text=True)
