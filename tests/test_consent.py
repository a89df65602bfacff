"""Informed consent, versioned per study (issue 12, part 6): a panellist reads
the information sheet and gives consent before the first answer, and again
when a new version is published; who, when, which version and in which
language are recorded. The moderator writes the texts."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import build_study, open_round_of, panellist_of, user_by_email

API = "/api/v1/studies"


def _records(app, world, email):
    from delphi.core.database import db
    from delphi.core.models import ConsentRecord

    with app.app_context():
        panellist = panellist_of(world, email)
        return [(r.version.version, r.language, r.accepted_at is not None)
                for r in db.session.scalars(select(ConsentRecord).where(
                    ConsentRecord.panellist_id == panellist.id).order_by(ConsentRecord.id))]


def _audit(app, action):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        return [(e.actor_id, e.details) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def _rating(world, value=4):
    return {"ratings": [{"item": i, "criterion": "importance", "value": value}
                        for i in world.item_ids]}


def test_the_questionnaire_asks_for_consent_first_and_records_it(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2, withdrawal="delete")
    open_round_of(app, world, 1, consent=False)
    me = world.panellists[0]
    auth.login(me)
    questionnaire = f"/panel/studies/{world.study_id}/rounds/1"
    response = client.get(questionnaire)
    assert response.status_code == 303
    assert f"/panel/studies/{world.study_id}/consent" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Information sheet" in html and "version 1" in html
    assert "Test study" in html  # the standard sheet names the study
    assert "deletes all your answers when you withdraw" in html  # from the protocol
    with app.app_context():
        assert panellist_of(world, me).pseudonym in html
    # Not ticked: refused, nothing recorded.
    refused = client.post(f"/panel/studies/{world.study_id}/consent",
                          data={"version": "1", "next": questionnaire})
    assert refused.status_code == 422
    assert "Tick the box" in refused.get_data(as_text=True)
    assert _records(app, world, me) == []
    given = client.post(f"/panel/studies/{world.study_id}/consent",
                        data={"version": "1", "agree": "y", "next": questionnaire})
    assert given.status_code == 303 and given.headers["Location"].endswith(questionnaire)
    assert _records(app, world, me) == [(1, "en", True)]
    assert client.get(questionnaire).status_code == 200
    again = client.get(f"/panel/studies/{world.study_id}/consent").get_data(as_text=True)
    assert "You gave your consent to this version on" in again


def test_consent_is_read_in_the_panellists_language(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2)
    open_round_of(app, world, 1, consent=False)
    me = world.panellists[1]
    auth.login(me)
    client.post("/language", data={"language": "fr"})
    page = client.get(f"/panel/studies/{world.study_id}/consent").get_data(as_text=True)
    assert "Fiche d’information" in page or "Fiche d'information" in page
    assert "Vous êtes invité" in page
    client.post(f"/panel/studies/{world.study_id}/consent", data={"version": "1", "agree": "y"})
    assert _records(app, world, me) == [(1, "fr", True)]


def test_the_api_refuses_answers_until_consent_is_given(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2)
    open_round_of(app, world, 1, consent=False)
    me = world.panellists[0]
    headers = auth.token(me)
    put = client.put(f"{API}/{world.study_id}/rounds/1/response", json=_rating(world),
                     headers=headers)
    assert put.status_code == 409
    assert "consent" in put.get_json()["error"]["message"]
    state = client.get(f"{API}/{world.study_id}/consent", headers=headers).get_json()
    assert state["version"] == 1 and state["accepted"] is False and state["withdrawal"] == "keep"
    assert "Delphi study" in state["information_sheet"]
    stale = client.post(f"{API}/{world.study_id}/consent", json={"version": 2}, headers=headers)
    assert stale.status_code == 409
    bad = client.post(f"{API}/{world.study_id}/consent", json={"version": "one"}, headers=headers)
    assert bad.status_code in (400, 422)
    assert _records(app, world, me) == []
    ok = client.post(f"{API}/{world.study_id}/consent", json={"version": 1}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["accepted"] is True
    put = client.put(f"{API}/{world.study_id}/rounds/1/response", json=_rating(world),
                     headers=headers)
    assert put.status_code == 200, put.get_json()


def test_a_new_version_is_published_once_someone_accepted_and_asked_again(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2)
    auth.login(world.moderator)
    editor = f"/studies/{world.study_id}/consent"
    page = client.get(editor).get_data(as_text=True)
    assert "Current version: 1" in page
    texts = {"information_sheet": "Our own sheet.\n\nSecond paragraph.",
             "consent_text": "I agree to take part.",
             "information_sheet_fr": "Notre fiche.", "consent_text_fr": "J'accepte."}
    saved = client.post(editor, data=texts)
    assert saved.status_code == 303
    assert [d["version"] for _a, d in _audit(app, "consent.update")] == [1]  # nobody had accepted
    open_round_of(app, world, 1)  # the panel consents to version 1
    me = world.panellists[0]
    assert _records(app, world, me) == [(1, "en", True)]
    client.post(editor, data={**texts, "consent_text": "I agree, as amended."})
    assert [d["version"] for _a, d in _audit(app, "consent.publish")] == [2]
    page = client.get(editor).get_data(as_text=True)
    assert "Current version: 2" in page and "0 of the 5 active panellists" in page
    auth.logout()
    auth.login(me)
    questionnaire = f"/panel/studies/{world.study_id}/rounds/1"
    assert client.get(questionnaire).status_code == 303  # version 2 to read first
    item = world.item_ids[0]
    typed = client.post(questionnaire, data={f"r-{item}-importance": "3", "action": "save"})
    assert typed.status_code == 409
    html = typed.get_data(as_text=True)
    assert "information sheet has changed" in html
    assert f'name="r-{item}-importance" value="3" checked' in html or 'value="3" checked' in html
    sheet = client.get(f"/panel/studies/{world.study_id}/consent").get_data(as_text=True)
    assert "Our own sheet." in sheet and "I agree, as amended." in sheet
    assert "Version 1, on" in sheet  # the earlier consent is listed
    client.post(f"/panel/studies/{world.study_id}/consent", data={"version": "2", "agree": "y"})
    assert _records(app, world, me) == [(1, "en", True), (2, "en", True)]
    assert client.get(questionnaire).status_code == 200


def test_the_editor_refuses_bad_texts_and_changes_nothing(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)
    auth.login(world.moderator)
    editor = f"/studies/{world.study_id}/consent"
    for texts in ({"information_sheet": "", "consent_text": "x"},
                  {"information_sheet": "ok\x00", "consent_text": "x"},
                  {"information_sheet": "ok", "consent_text": "x" * 1_000_001}):
        response = client.post(editor, data=texts)
        assert response.status_code in (400, 413, 422), texts.keys()
    assert _audit(app, "consent.update") == [] and _audit(app, "consent.publish") == []
    assert "Current version: 1" in client.get(editor).get_data(as_text=True)


def test_the_service_names_each_bad_field(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.errors import InvalidInput
    from delphi.core.models import Study

    world = build_study(app, n_panellists=5, n_items=1)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        with pytest.raises(InvalidInput) as error:
            rounds.publish_consent(study, {"information_sheet": "ok", "consent_text": 3},
                                   {"fr": {"consent_text": "\ud800"}, "de": {}},
                                   actor=user_by_email(world.moderator))
        assert set(error.value.fields) == {"consent_text", "fr.consent_text", "translations"}
        assert rounds.current_version(study).consent_text.startswith("I have read")


def test_missing_consent_translations_are_listed_for_the_moderator(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)
    auth.login(world.moderator)
    client.post(f"/studies/{world.study_id}/consent",
                data={"information_sheet": "Sheet.", "consent_text": "I agree.",
                      "information_sheet_es": "Hoja.", "consent_text_es": "Acepto."})
    french = client.get(f"/studies/{world.study_id}/translations/fr").get_data(as_text=True)
    spanish = client.get(f"/studies/{world.study_id}/translations/es").get_data(as_text=True)
    assert "Information sheet" in french and "Consent text" in french
    assert "Consent text" not in spanish.split("Not yet translated")[-1].split("</section>")[0]


def test_own_data_lists_the_consents_given(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)
    open_round_of(app, world, 1)
    me = world.panellists[2]
    auth.login(me)
    data = client.get("/me/data.json").get_json()
    (study,) = data["studies"]
    (consent,) = study["consents"]
    assert consent["version"] == 1 and consent["language"] == "en" and consent["accepted_at"]
    assert "I agree" in consent["consent_text"]


def test_a_withdrawn_panellist_cannot_consent(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.errors import Forbidden

    world = build_study(app, n_panellists=5, n_items=1)
    open_round_of(app, world, 1, consent=False)
    with app.app_context():
        panellist = panellist_of(world, world.panellists[0])
        rounds.withdraw_panellist(panellist, actor=user_by_email(world.panellists[0]))
        db.session.commit()
        with pytest.raises(Forbidden):
            rounds.accept_consent(panellist, 1)
