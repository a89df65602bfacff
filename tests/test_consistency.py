"""One rule, one place: what the web, the API, the exports and the report show agrees.

Each test here failed before the redesign (issue 10, "Why"): the entry points
wrote different audit rows, a closed round's figures drifted after a
withdrawal, the same panellists showed three different regions, the
dashboard ignored ``MIN_CELL``, and stopping reasons were stored in the
closer's language.
"""
from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
from sqlalchemy import select

import rounds
from tests.factories import answer_round, build_study, close, get_round, panellist_of, user_by_email


def _actions(app, study_id, after):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent, Item, Round

    with app.app_context():
        item_ids = {str(i) for i in db.session.scalars(select(Item.id).where(Item.study_id == study_id))}
        round_ids = {str(r) for r in db.session.scalars(select(Round.id).where(Round.study_id == study_id))}
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > after)
                                    .order_by(AuditEvent.id)).all()
        return [(e.action, e.actor_id) for e in events
                if (e.object_type == "Item" and e.object_id in item_ids)
                or (e.object_type == "Round" and e.object_id in round_ids)]


def _empty_study(app):
    """A study with no round and no item, its moderator's id and the last audit id."""
    from sqlalchemy import func

    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    world = build_study(app, n_panellists=3, n_items=0)
    with app.app_context():
        db.session.delete(get_round(world, 1))
        db.session.commit()
        return (world, user_by_email(world.moderator).id,
                db.session.scalar(select(func.max(AuditEvent.id))))


def test_the_web_and_the_api_write_the_same_audit_rows_for_items_and_rounds(app, client, auth):
    web, web_moderator, web_since = _empty_study(app)
    auth.login(web.moderator)
    assert client.post(f"/studies/{web.study_id}/items/new",
                       data={"text": "Pay for soil carbon", "target": ""}).status_code == 303
    assert client.post(f"/studies/{web.study_id}/rounds", data={"kind": "rating"}).status_code == 303
    auth.logout()

    api, api_moderator, api_since = _empty_study(app)
    headers = auth.token(api.moderator)
    response = client.post(f"/api/v1/studies/{api.study_id}/rounds", headers=headers,
                           json={"items": [{"text": "Pay for soil carbon"}]})
    assert response.status_code == 201, response.get_json()

    web_rows = _actions(app, web.study_id, web_since)
    api_rows = _actions(app, api.study_id, api_since)
    assert sorted(a for a, _ in web_rows) == sorted(a for a, _ in api_rows) == ["item.added", "round.drafted"]
    assert {actor for _, actor in web_rows} == {web_moderator}
    assert {actor for _, actor in api_rows} == {api_moderator}


def _export_rows(client, study_id, tier="deidentified"):
    response = client.post(f"/studies/{study_id}/exports/{tier}",
                           data={f"{tier}-tier": tier, f"{tier}-format": "csv"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    name = next(n for n in archive.namelist() if n.endswith("ratings.csv"))
    return pd.read_csv(archive.open(name))


def test_a_closed_rounds_figures_stay_the_same_after_a_withdrawal(app, client, auth):
    world = build_study(app, n_panellists=8, n_items=3)
    answer_round(app, world, 1, seed=5)
    close(app, world, 1)

    def figures():
        with app.app_context():
            result = rounds.round_results(get_round(world, 1))
            data = rounds.round_matrices(get_round(world, 1))
            tables = rounds.subgroup_tables(get_round(world, 1))
            cells = {(t.dimension, t.criterion, row["item_id"], group): cell.get("n")
                     for t in sum(tables.values(), []) for row in t.rows
                     for group, cell in row["cells"].items()}
            participation = rounds.participation(db_study(world))
        auth.login(world.researcher)
        exported = _export_rows(client, world.study_id)
        auth.logout()
        return ([(r["item"], r["n"], r["median"], r["iqr"]) for r in result["items"]],
                data.n_panellists, cells, participation, len(exported))

    before = figures()
    with app.app_context():
        from delphi.core.database import db

        rounds.withdraw_panellist(panellist_of(world, world.panellists[0]),
                                  actor=user_by_email(world.moderator))
        db.session.commit()
    assert figures() == before


def db_study(world):
    from delphi.core.database import db
    from delphi.core.models import Study

    return db.session.get(Study, world.study_id)


def test_the_same_region_shows_on_every_page_and_in_every_export(app, make_app):
    """Four panellists give no region in their profile and represent Africa in the
    task force: the dashboard, the export and the secretariat all say Africa."""
    from delphi.core.database import db
    from delphi.core.models import Membership, Region, TaskForce, User

    app = make_app(EXPORT_K_ANONYMITY=1)
    world = build_study(app, n_panellists=8, n_items=2)
    africans = world.panellists[:4]
    with app.app_context():
        africa = db.session.scalar(select(Region).where(Region.name == "Africa"))
        assert africa is not None
        for email in africans:
            user = user_by_email(email)
            user.region_id = None
            membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
            membership.region_id = africa.id
        db.session.commit()
        code = db.session.scalar(select(TaskForce.code).join(Membership).limit(1))
    answer_round(app, world, 1, seed=2)
    close(app, world, 1)
    client = app.test_client()

    def login(email):
        client.post("/logout")
        assert client.post("/login", data={"email": email, "password": world.password}).status_code == 302

    login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    region_table = html[html.index('id="composition-region"'):]
    region_table = region_table[:region_table.index("</table>")]
    assert re.search(r"Africa</th>\s*<td class=\"num\">4 ", region_table), region_table
    assert "unknown" not in region_table

    login(world.researcher)
    exported = _export_rows(client, world.study_id)
    per_panellist = exported.drop_duplicates("pseudonym")
    assert (per_panellist["region"] == "Africa").sum() == 4

    login(world.admin)
    html = client.get(f"/admin/task-forces/{code}").get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Africa</th><td>4</td>", html), html[:3000]
    with app.app_context():
        attributes = rounds.panel_attributes(db_study(world))
        ids = {panellist_of(world, e).id for e in africans}
        assert {attributes[i]["region"] for i in ids} == {"Africa"}
        assert db.session.scalar(select(User.region_id).where(User.email == africans[0])) is None


@pytest.fixture
def small_cells_app(app, make_app):
    return make_app(MIN_CELL=3)


def test_min_cell_holds_in_the_feedback_the_dashboard_and_the_report(small_cells_app):
    """With MIN_CELL = 3, four ratings are enough to be shown everywhere, two are not."""
    from delphi.core.database import db
    from delphi.core.models import User

    app = small_cells_app
    client = app.test_client()
    world = build_study(app, n_panellists=6, n_items=2)
    with app.app_context():
        for email, group in zip(world.panellists, ["farmers"] * 4 + ["ngo"] * 2):
            db.session.scalar(select(User).where(User.email == email)).stakeholder_group = group
        db.session.commit()
    answer_round(app, world, 1, lambda e, i, c: 4)
    # Round 2's feedback is built from 4 ratings of item 1 (2 panellists say "cannot rate").
    with app.app_context():
        r1 = get_round(world, 1)
        item = world.item_ids[0]
        for email in world.panellists[:2]:
            rounds.save_answers(r1, panellist_of(world, email), rounds.AnswerSet(
                [rounds.RatingInput(item, "importance", None)]), submit=True)
        db.session.commit()
    client.post("/login", data={"email": world.moderator, "password": world.password})
    assert client.post(f"/studies/{world.study_id}/rounds/1/close",
                       data={"confirm": "yes"}).status_code == 303
    with app.app_context():
        feedback = {ri.item_id: ri.feedback for ri in get_round(world, 2).round_items}
    assert feedback[item]["criteria"]["importance"]["n"] == 4
    assert feedback[item]["criteria"]["importance"]["median"] == 4  # shown: 4 >= 3

    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1?by=stakeholder_group").get_data(as_text=True)
    assert "fewer than 3" in html or "&lt; 3" in html or "< 3" in html
    assert "fewer than 5" not in html and "&lt; 5" not in html

    client.post("/logout")
    client.post("/login", data={"email": world.researcher, "password": world.password})
    report = client.get(f"/studies/{world.study_id}/report").get_data(as_text=True)
    assert "Counts below 3" in report
    # ngo (2 panellists) is suppressed, and so is the next-smallest cell (the total is printed).
    composition = report[report.index("Panel composition"):]
    assert composition.count("&lt; 3") >= 2 or composition.count("< 3") >= 2


def test_stopping_reasons_show_in_the_readers_language(app, client, auth, make_user):
    from delphi.core.database import db
    from delphi.core.models import RoundStatistics

    world = build_study(app, n_panellists=6, n_items=2, max_rounds=1)
    with app.app_context():
        user_by_email(world.moderator).language = "fr"
        db.session.commit()
    answer_round(app, world, 1, seed=1)
    auth.login(world.moderator)
    assert client.post(f"/studies/{world.study_id}/rounds/1/close",
                       data={"confirm": "yes"}).status_code == 303
    auth.logout()
    with app.app_context():
        stats = db.session.scalar(select(RoundStatistics))
        assert all("message" not in r for r in stats.stopping["reasons"])  # codes, not sentences
        assert [r["code"] for r in stats.stopping["reasons"]][0] == "max_rounds"

    auth.login(world.researcher)  # reads English
    dashboard = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    study_page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "maximum of 1 rounds" in dashboard and "maximum of 1 rounds" in study_page
    results = client.get(f"/api/v1/studies/{world.study_id}/rounds/1/results",
                         headers=auth.token(world.researcher)).get_json()
    assert "maximum of 1 rounds" in results["stopping"]["reasons"][0]["message"]
    auth.logout()

    auth.login(world.moderator)  # reads French
    dashboard = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    assert "maximum de 1 tours" in dashboard and "maximum of 1 rounds" not in dashboard
    results = client.get(f"/api/v1/studies/{world.study_id}/rounds/1/results",
                         headers={**auth.token(world.moderator), "Accept-Language": "fr"}).get_json()
    assert "maximum de 1 tours" in results["stopping"]["reasons"][0]["message"]
