"""A member erases their own account (issue 12, part 6: the right to erasure):
withdrawn from every panel by each study's protocol, the identity gone, the
answers already fed back kept under the pseudonym only."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import (
    answer_round,
    build_study,
    close,
    panellist_of,
    user_by_email,
)


def _state(app, world, email_or_id):
    from delphi.core.database import db
    from delphi.core.models import Membership, Panellist, Response, User

    with app.app_context():
        user = db.session.get(User, email_or_id) if isinstance(email_or_id, int) \
            else user_by_email(email_or_id)
        panellist = db.session.scalar(select(Panellist).where(
            Panellist.user_id == user.id, Panellist.study_id == world.study_id))
        return {"id": user.id, "name": user.name, "email": user.email,
                "organisation": user.organisation_id, "status": panellist.status.value,
                "pseudonym": panellist.pseudonym,
                "responses": db.session.scalar(select(func.count()).select_from(Response).where(
                    Response.panellist_id == panellist.id)),
                "memberships": db.session.scalar(select(func.count()).select_from(Membership)
                                                 .where(Membership.user_id == user.id))}


def _erase_page(client):
    return client.get("/account/erase").get_data(as_text=True)


def test_erasing_keeps_closed_answers_under_the_pseudonym(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2)  # withdrawal: keep
    answer_round(app, world, 1)
    close(app, world, 1)
    me = world.panellists[0]
    before = _state(app, world, me)
    headers = auth.token(me)
    auth.login(me)
    page = _erase_page(client)
    assert "keeps your answers to rounds already closed" in page and "Test study" in page
    wrong = client.post("/account/erase", data={"password": "not the password", "confirm": "y"})
    assert wrong.status_code == 422 and "This password is not right." in wrong.get_data(as_text=True)
    unticked = client.post("/account/erase", data={"password": world.password})
    assert unticked.status_code == 422
    assert _state(app, world, me)["name"] == world.names[me]  # nothing changed
    done = client.post("/account/erase", data={"password": world.password, "confirm": "y"})
    assert done.status_code == 303
    after = _state(app, world, before["id"])
    assert after["status"] == "withdrawn" and after["pseudonym"] == before["pseudonym"]
    assert after["responses"] == before["responses"] == 1  # the closed round's answers stay
    assert after["name"] != world.names[me] and me not in after["email"]
    assert after["organisation"] is None and after["memberships"] == 0
    # Logged out everywhere: the page, a new login, the API token.
    assert client.get("/me").status_code in (302, 303)
    assert auth.login(me).status_code != 303 or client.get("/me").status_code in (302, 303)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.erase"))
        assert event.actor_id == before["id"] and event.details == {"withdrawn_from": 1}
        assert me not in str(event.details) and world.names[me] not in str(event.details)


def test_erasing_deletes_the_answers_where_the_protocol_says_so(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2, withdrawal="delete")
    answer_round(app, world, 1)
    me = world.panellists[1]
    auth.login(me)
    assert "deletes all your answers" in _erase_page(client)
    client.post("/account/erase", data={"password": world.password, "confirm": "y"})
    with app.app_context():
        from delphi.core.database import db
        from delphi.core.models import Panellist

        panellist = db.session.scalar(select(Panellist).where(
            Panellist.study_id == world.study_id, Panellist.status == "withdrawn"))
    assert _state(app, world, panellist.user_id)["responses"] == 0


def test_the_last_administrator_cannot_be_erased(app, client, auth, make_user):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        for user in db.session.scalars(select(User).where(User.is_admin.is_(True))):
            user.is_admin = False
        db.session.commit()
    admin = make_user("only-admin@example.org", admin=True)
    auth.login(admin.email)
    assert "the only administrator" in _erase_page(client)
    response = client.post("/account/erase", data={"password": "correct horse battery staple",
                                                   "confirm": "y"})
    assert response.status_code in (409, 422)
    with app.app_context():
        assert db.session.get(User, admin.id).email == "only-admin@example.org"


def test_the_console_erases_an_account(app, runner):
    world = build_study(app, n_panellists=5, n_items=1)
    answer_round(app, world, 1)
    me = world.panellists[3]
    with app.app_context():
        user_id = user_by_email(me).id
        pseudonym = panellist_of(world, me).pseudonym
    result = runner.invoke(args=["erase-user", me, "--yes"])
    assert result.exit_code == 0, result.output
    assert "withdrawn from 1 panel" in result.output
    after = _state(app, world, user_id)
    assert after["status"] == "withdrawn" and after["pseudonym"] == pseudonym
    assert me not in after["email"]
    unknown = runner.invoke(args=["erase-user", "nobody@example.org", "--yes"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
