"""A study's own texts in the reader's language, and the moderator told what is
missing before a round opens (issue 12, part 1: translatable studies)."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import build_study, open_round_of


def _study(app, world):
    from delphi.core.database import db
    from delphi.core.models import Study

    with app.app_context():
        study = db.session.get(Study, world.study_id)
        return dict(study.translations or {})


def _audit(app, world):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        return [(e.action, e.details) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "study.translate",
                                     AuditEvent.object_id == str(world.study_id)))]


def _warning(html: str) -> str:
    found = re.search(r'<section class="notice warning".*?</section>', html, re.DOTALL)
    return found.group(0) if found else ""


def test_the_round_page_warns_of_missing_translations_before_opening(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=2, criteria=("importance", "clarity"),
                        title="Soil carbon schemes", description="Which schemes to endorse.")
    auth.login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    warning = _warning(html)
    assert "Missing translations" in warning
    french = re.search(r'<li><strong lang="fr">Français</strong>: (.*?)</li>', warning,
                       re.DOTALL).group(1)
    assert "Title; Description; Criterion clarity; Item I01: text; Item I01: background" in french
    assert "Criterion importance" not in french  # a usual criterion: the interface translates it
    assert '<strong lang="es">Español</strong>' in warning
    assert f'href="/studies/{world.study_id}/translations/fr"' in warning

    # The moderator translates the study's texts into French: the warning then names the items only.
    response = client.post(f"/studies/{world.study_id}/translations/fr", data={
        "title": "Dispositifs de carbone du sol", "description": "Quels dispositifs approuver.",
        "criterion-clarity": "clarté", "scale_labels": ""})
    assert response.status_code == 303
    assert _study(app, world)["fr"] == {"title": "Dispositifs de carbone du sol",
                                        "description": "Quels dispositifs approuver.",
                                        "criteria": {"clarity": "clarté"}}
    assert _audit(app, world) == [("study.translate", {
        "language": "fr", "fields": ["criteria", "description", "title"]})]
    warning = _warning(client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True))
    french = re.search(r'<strong lang="fr">Français</strong>: (.*?)</li>', warning, re.DOTALL).group(1)
    assert "Title" not in french and "clarity" not in french and "Item I02: text" in french


def test_no_warning_once_a_round_is_open_nor_for_researchers(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    auth.login(world.researcher)
    assert not _warning(client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True))
    auth.logout()
    open_round_of(app, world, 1)
    auth.login(world.moderator)
    assert not _warning(client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True))


def test_panellists_read_the_study_in_their_language_with_english_as_fallback(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1, criteria=("importance", "clarity"),
                        title="Soil carbon schemes")
    auth.login(world.moderator)
    client.post(f"/studies/{world.study_id}/translations/fr", data={
        "title": "Dispositifs de carbone du sol", "criterion-clarity": "clarté"})
    auth.logout()
    open_round_of(app, world, 1)
    auth.login(world.panellists[0])
    url = f"/panel/studies/{world.study_id}/rounds/1"
    client.post("/language", data={"language": "fr"})
    html = client.get(url).get_data(as_text=True)
    assert "<h1>Dispositifs de carbone du sol:" in html or "<h1>Dispositifs de carbone du sol :" in html
    assert "clarté" in html and ">clarity<" not in html
    client.post("/language", data={"language": "es"})  # no Spanish: the English texts
    html = client.get(url).get_data(as_text=True)
    assert "Soil carbon schemes" in html and "clarity" in html


def test_bad_translations_are_refused_and_change_nothing(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1, scale_points=5)
    auth.login(world.moderator)
    too_many = "\n".join(f"label {i}" for i in range(6))
    response = client.post(f"/studies/{world.study_id}/translations/fr",
                           data={"title": "Titre", "scale_labels": too_many})
    assert response.status_code == 422
    assert "Give one label per scale point, lowest first." in response.get_data(as_text=True)
    response = client.post(f"/studies/{world.study_id}/translations/fr",
                           data={"title": "x" * 301})
    assert response.status_code == 422
    assert "Use at most 300 characters." in response.get_data(as_text=True)
    assert _study(app, world) == {} and _audit(app, world) == []
    assert client.get(f"/studies/{world.study_id}/translations/en").status_code == 404
    assert client.get(f"/studies/{world.study_id}/translations/de").status_code == 404


def test_only_the_study_s_moderators_translate_it(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    auth.login(world.panellists[0])
    assert client.get(f"/studies/{world.study_id}/translations/fr").status_code == 403
    assert client.post(f"/studies/{world.study_id}/translations/fr",
                       data={"title": "Pirate"}).status_code == 403
    assert _study(app, world) == {}


def test_custom_scale_labels_are_shown_translated(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study

    world = build_study(app, n_panellists=2, n_items=1, scale_labels=[
        "Not at all", "Slightly", "Moderately", "Very", "Extremely"])
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        assert any(m.what == "Labels of the scale points"
                   for m in rounds.missing_translations(study))
        rounds.set_study_translations(study, "fr", {"scale_labels": [
            "Pas du tout", "Un peu", "Moyennement", "Très", ""]}, actor=None)
        assert rounds.study_scale_labels(study, "fr") == [
            "Pas du tout", "Un peu", "Moyennement", "Très", "Extremely"]
        assert rounds.study_scale_labels(study, "es") == [
            "Not at all", "Slightly", "Moderately", "Very", "Extremely"]
        assert any(m.what == "Labels of the scale points" and m.language == "fr"
                   for m in rounds.missing_translations(study))  # one is still missing
