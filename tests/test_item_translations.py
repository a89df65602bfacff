"""An item's French and Spanish texts and an estimate's unit, written on the
item's page and shown to panellists in their language (issue 12, part 1)."""
from __future__ import annotations

from tests.factories import build_study, open_round_of, user_by_email


def _estimate(app, world) -> int:
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Round, Study

    with app.app_context():
        study = db.session.get(Study, world.study_id)
        item = rounds.add_item(study, "How many schemes by 2030?", kind="estimate",
                               params={"unit": "schemes", "min": 0, "max": 30, "quantiles": False,
                                       "target": {"value": 10, "year": 2030}},
                               actor=user_by_email(world.moderator))
        draft = db.session.scalars(db.select(Round).where(Round.study_id == study.id)).first()
        rounds.set_round_items(draft, [*(ri.item for ri in draft.round_items), item],
                               actor=user_by_email(world.moderator))
        db.session.commit()
        return item.id


def test_the_item_page_keeps_both_languages_and_the_unit(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)
    item_id = _estimate(app, world)
    auth.login(world.moderator)
    before = client.get(f"/studies/{world.study_id}/translations/es").get_data(as_text=True)
    assert "unit" in before.split("Not yet translated")[1].split("</section>")[0]
    form = {"text": "How many schemes by 2030?", "kind": "estimate", "estimate_unit": "schemes",
            "estimate_min": "0", "estimate_max": "30", "estimate_quantiles": "0",
            "text_fr": "Combien de dispositifs d'ici 2030 ?", "unit_fr": "dispositifs",
            "text_es": "¿Cuántos esquemas de aquí a 2030?", "unit_es": "esquemas"}
    saved = client.post(f"/studies/{world.study_id}/items/{item_id}", data=form)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    page = client.get(f"/studies/{world.study_id}/items/{item_id}").get_data(as_text=True)
    assert "¿Cuántos esquemas de aquí a 2030?" in page and 'value="esquemas"' in page
    assert 'value="dispositifs"' in page
    after = client.get(f"/studies/{world.study_id}/translations/es").get_data(as_text=True)
    assert "unit" not in after.split("</h1>")[1].split("<form")[0]

    open_round_of(app, world, 1)
    auth.logout()
    auth.login(world.panellists[0])
    for language, text, unit, heading in (
            ("es", "¿Cuántos esquemas de aquí a 2030?", "esquemas", "Test study: ronda 1"),
            ("fr", "Combien de dispositifs d'ici 2030 ?", "dispositifs", "Test study : tour 1")):
        client.post("/language", data={"language": language})
        html = client.get(f"/panel/studies/{world.study_id}/rounds/1").get_data(as_text=True)
        assert text.replace("'", "&#39;") in html
        assert f"({unit})" in html and "(schemes)" not in html
        assert heading in html


def test_staff_pages_show_an_estimate_s_unit_in_the_reader_s_language(app, client, auth):
    """The dashboard's estimate table and the item's page name the unit as the
    moderator's language writes it; the English unit stays where none is written."""
    from delphi.core.database import db
    from delphi.core.models import Item
    from tests.factories import answer_round, close

    world = build_study(app, n_panellists=6, n_items=1)
    item_id = _estimate(app, world)
    with app.app_context():
        item = db.session.get(Item, item_id)
        item.translations = {"fr": {"text": "Combien de dispositifs d'ici 2030 ?", "unit": "dispositifs"}}
        db.session.commit()
    open_round_of(app, world, 1)
    answer_round(app, world, 1)
    close(app, world, 1)
    auth.login(world.moderator)
    for language, unit, other in (("fr", "dispositifs", "schemes"), ("es", "schemes", "dispositifs")):
        client.post("/language", data={"language": language})
        dashboard = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
        assert f"({unit})" in dashboard and f"({other})" not in dashboard
        page = client.get(f"/studies/{world.study_id}/dashboard/rounds/1/items/{item_id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f">{unit}</td>" in html and f">{other}</td>" not in html
    # The item's chart too: its axis names the unit, its legend writes the colon as French does.
    client.post("/language", data={"language": "fr"})
    chart = client.get(f"/studies/{world.study_id}/dashboard/rounds/1/items/{item_id}/charts/target.svg")
    assert chart.status_code == 200, chart.status_code
    svg = chart.get_data(as_text=True)
    assert "(dispositifs)" in svg and "(schemes)" not in svg
    assert "Cible 2030 : 10" in svg
