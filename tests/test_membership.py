"""Joining task forces and the secretariat's decisions (issue 2, items 6, 7 and 9)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD

LEADER_ONLY_MEMBERS = "may apply as Global Leader or Regional Representative"


def memberships(app, email=None):
    """``[(task force code, role, status, region name)]`` of a user (or everybody)."""
    from delphi.core.database import db
    from delphi.core.models import Membership, User

    with app.app_context():
        query = select(Membership).join(User, Membership.user_id == User.id).order_by(Membership.id)
        if email:
            query = query.where(User.email == email)
        return [(m.task_force.code, m.role.value, m.status.value, m.region.name if m.region else None)
                for m in db.session.scalars(query)]


def membership_id(app, email, code):
    from delphi.core.database import db
    from delphi.core.models import Membership, TaskForce, User

    with app.app_context():
        return db.session.scalar(
            select(Membership.id).join(User, Membership.user_id == User.id)
            .join(TaskForce, Membership.task_force_id == TaskForce.id)
            .where(User.email == email, TaskForce.code == code))


def audit_events(app, action_prefix=""):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(action_prefix))
            .order_by(AuditEvent.id)).all()
        return [(e.actor_id, e.action, e.object_type, e.object_id, e.details, e.at) for e in rows]


def logged_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def join_web(client, code, role="team_member", region="Europe"):
    return client.post(f"/task-forces/{code}/join", data={"role": role, "region": region})


# -- the web form ---------------------------------------------------------------

def test_the_plan_page_offers_the_join_button(app, make_user):
    make_user("ada@example.org")
    client = logged_in(app, "ada@example.org")
    page = client.get("/task-forces/A5").get_data(as_text=True)
    assert "Join Task Force A5" in page
    assert 'href="/task-forces/A5/join"' in page


def test_a_team_member_is_approved_at_once(app, make_user):
    make_user("ada@example.org")
    client = logged_in(app, "ada@example.org")
    response = join_web(client, "a5", region="Asia & Pacific")
    assert response.status_code == 302
    assert memberships(app) == [("A5", "team_member", "approved", "Asia & Pacific")]
    home = client.get("/me").get_data(as_text=True)
    assert "Welcome to task force A5!" in home
    assert "Team Member" in home and "approved" in home


@pytest.mark.parametrize("role", ["global_leader", "regional_representative"])
@pytest.mark.parametrize("status", ["member", "partner"])
def test_a_leader_from_a_member_or_partner_waits_for_approval(app, make_user, role, status):
    make_user("ada@example.org", organisation="Soil Lab", status=status)
    client = logged_in(app, "ada@example.org")
    response = join_web(client, "B2", role=role)
    assert response.status_code == 302
    assert memberships(app) == [("B2", role, "pending", "Europe")]
    assert "waits for the secretariat" in client.get("/me").get_data(as_text=True)


@pytest.mark.parametrize("role", ["global_leader", "regional_representative"])
def test_a_leader_from_a_non_member_organisation_gets_a_clear_error(app, make_user, role):
    make_user("ada@example.org", organisation="Soil Lab", status="none")
    client = logged_in(app, "ada@example.org")
    response = join_web(client, "B2", role=role)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert LEADER_ONLY_MEMBERS in page
    assert "Team Member" in page
    assert memberships(app) == []


def test_the_join_page_warns_a_non_member_before_they_apply(app, make_user):
    make_user("ada@example.org", status="none")
    page = logged_in(app, "ada@example.org").get("/task-forces/C1/join").get_data(as_text=True)
    assert "may be Global Leader or Regional Representative" in page


def test_an_unknown_task_force_is_404(app, make_user):
    make_user("ada@example.org")
    client = logged_in(app, "ada@example.org")
    assert client.get("/task-forces/Z9/join").status_code == 404
    assert join_web(client, "Z9").status_code == 404
    assert client.get("/task-forces/Z9").status_code == 404
    assert memberships(app) == []


@pytest.mark.parametrize("data", [
    {"role": "emperor", "region": "Europe"},
    {"role": "team_member", "region": "Atlantis"},
    {"role": "team_member"},
])
def test_a_bad_role_or_region_is_422(app, make_user, data):
    make_user("ada@example.org")
    client = logged_in(app, "ada@example.org")
    response = client.post("/task-forces/A1/join", data=data)
    assert response.status_code == 422
    assert memberships(app) == []


def test_a_second_membership_of_the_same_task_force_is_409(app, make_user):
    make_user("ada@example.org", status="member")
    client = logged_in(app, "ada@example.org")
    assert join_web(client, "A1").status_code == 302
    response = join_web(client, "A1", role="global_leader")
    assert response.status_code == 409
    assert "You are already a member of task force A1." in response.get_data(as_text=True)
    assert memberships(app) == [("A1", "team_member", "approved", "Europe")]


def test_task_forces_are_always_open(app, make_user):
    make_user("ada@example.org")
    client = logged_in(app, "ada@example.org")
    for code in ("A1", "B4", "C2", "D3", "E1", "F3"):
        assert join_web(client, code).status_code == 302
    assert [m[0] for m in memberships(app)] == ["A1", "B4", "C2", "D3", "E1", "F3"]


def test_joining_needs_a_login(client, app):
    response = join_web(client, "A1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert memberships(app) == []


# -- the API --------------------------------------------------------------------

def join_api(client, code, headers, **body):
    return client.post(f"/api/v1/task-forces/{code}/memberships", json=body, headers=headers)


def test_api_join_as_team_member_is_201_approved(app, client, make_user, auth):
    make_user("ada@example.org")
    response = join_api(client, "A5", auth.token("ada@example.org"), role="team_member", region="Europe")
    assert response.status_code == 201
    assert response.get_json() == {"task_force": "A5", "role": "team_member", "region": "Europe",
                                   "status": "approved"}
    assert memberships(app) == [("A5", "team_member", "approved", "Europe")]


def test_api_join_without_a_region_is_allowed(app, client, make_user, auth):
    make_user("ada@example.org")
    response = join_api(client, "A5", auth.token("ada@example.org"), role="team_member")
    assert response.status_code == 201
    assert response.get_json()["region"] is None


@pytest.mark.parametrize("status", ["member", "partner"])
def test_api_join_as_leader_is_201_pending(app, client, make_user, auth, status):
    make_user("ada@example.org", status=status)
    response = join_api(client, "A5", auth.token("ada@example.org"), role="global_leader",
                        region="Africa")
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


def test_api_join_without_a_token_is_401(app, client):
    response = join_api(client, "A5", {}, role="team_member")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorised"


def test_api_join_with_a_revoked_token_is_401(app, client, make_user, auth):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert join_api(client, "A5", headers, role="team_member").status_code == 401
    assert memberships(app) == []


def test_api_join_of_an_unknown_task_force_is_404(app, client, make_user, auth):
    make_user("ada@example.org")
    response = join_api(client, "Q7", auth.token("ada@example.org"), role="team_member")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("body, field", [
    ({"role": "emperor"}, "role"),
    ({"role": 3}, "role"),
    ({}, "role"),
    ({"role": "team_member", "region": "Atlantis"}, "region"),
    ({"role": "team_member", "region": ["Europe"]}, "region"),
])
def test_api_join_with_a_bad_field_is_422(app, client, make_user, auth, body, field):
    make_user("ada@example.org")
    response = join_api(client, "A5", auth.token("ada@example.org"), **body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert memberships(app) == []


@pytest.mark.parametrize("role", ["global_leader", "regional_representative"])
def test_api_leader_from_a_non_member_organisation_is_422(app, client, make_user, auth, role):
    make_user("ada@example.org", status="none")
    response = join_api(client, "A5", auth.token("ada@example.org"), role=role)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert LEADER_ONLY_MEMBERS in error["message"]
    assert "role" in error["fields"]
    assert memberships(app) == []


def test_api_duplicate_membership_is_409(app, client, make_user, auth):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    assert join_api(client, "A5", headers, role="team_member").status_code == 201
    response = join_api(client, "a5", headers, role="team_member")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert len(memberships(app)) == 1


def test_web_and_api_share_the_one_membership_rule(app, client, make_user, auth):
    make_user("ada@example.org")
    assert join_web(logged_in(app, "ada@example.org"), "D1").status_code == 302
    response = join_api(client, "D1", auth.token("ada@example.org"), role="team_member")
    assert response.status_code == 409


# -- the secretariat --------------------------------------------------------------

@pytest.fixture
def application(app, make_user):
    """Ada (from a member organisation) applies to lead B2; Sam is the secretariat."""
    make_user("sam@example.org", admin=True, name="Sam Secretariat")
    make_user("ada@example.org", organisation="Soil Lab", status="member", name="Ada Lovelace")
    assert join_web(logged_in(app, "ada@example.org"), "B2", role="global_leader").status_code == 302
    return membership_id(app, "ada@example.org", "B2")


def admin_id(app):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "sam@example.org"))


def test_the_admin_sees_pending_applications(app, application):
    page = logged_in(app, "sam@example.org").get("/admin/applications").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Soil Lab" in page and "B2" in page
    assert f'action="/admin/applications/{application}"' in page


@pytest.mark.parametrize("decision, status", [("approve", "approved"), ("decline", "declined")])
def test_an_admin_decision_is_recorded_and_audited(app, application, decision, status):
    admin = logged_in(app, "sam@example.org")
    response = admin.post(f"/admin/applications/{application}", data={"decision": decision})
    assert response.status_code == 303
    assert memberships(app) == [("B2", "global_leader", status, "Europe")]
    events = audit_events(app, "membership.")
    assert len(events) == 1
    actor, action, object_type, object_id, details, _at = events[0]
    assert (actor, action, object_type, object_id) == (
        admin_id(app), f"membership.{decision}", "Membership", str(application))
    assert details == {"task_force": "B2", "role": "global_leader"}
    assert "Application decided." in admin.get("/admin/applications").get_data(as_text=True)


def test_an_application_is_decided_only_once(app, application):
    admin = logged_in(app, "sam@example.org")
    admin.post(f"/admin/applications/{application}", data={"decision": "approve"})
    response = admin.post(f"/admin/applications/{application}", data={"decision": "decline"})
    assert response.status_code == 303
    assert "This application has been decided already." in admin.get("/admin/applications").get_data(as_text=True)
    assert memberships(app)[0][2] == "approved"
    assert len(audit_events(app, "membership.")) == 1


def test_a_bad_decision_changes_nothing(app, application):
    admin = logged_in(app, "sam@example.org")
    response = admin.post(f"/admin/applications/{application}", data={"decision": "maybe"})
    assert response.status_code == 303
    assert memberships(app)[0][2] == "pending"
    assert audit_events(app) == []


def test_deciding_an_unknown_application_is_404(app, application):
    admin = logged_in(app, "sam@example.org")
    assert admin.post("/admin/applications/999999", data={"decision": "approve"}).status_code == 404


def test_a_member_cannot_decide_applications(app, application, make_user):
    make_user("eve@example.org", status="member")
    eve = logged_in(app, "eve@example.org")
    assert eve.get("/admin/applications").status_code == 403
    assert eve.post(f"/admin/applications/{application}", data={"decision": "approve"}).status_code == 403
    assert logged_in(app, "ada@example.org").post(
        f"/admin/applications/{application}", data={"decision": "approve"}).status_code == 403
    assert memberships(app)[0][2] == "pending"
    assert audit_events(app) == []


def organisation_id(app, name):
    from delphi.core.database import db
    from delphi.core.models import Organisation

    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def organisation_status(app, name):
    from delphi.core.database import db
    from delphi.core.models import Organisation

    with app.app_context():
        return db.session.scalar(select(Organisation.status).where(Organisation.name == name)).value


def test_the_admin_sets_an_organisation_status_and_it_is_audited(app, make_user):
    make_user("sam@example.org", admin=True)
    make_user("ada@example.org", organisation="Soil Lab")
    org = organisation_id(app, "Soil Lab")
    admin = logged_in(app, "sam@example.org")
    assert "Soil Lab" in admin.get("/admin/organisations").get_data(as_text=True)
    response = admin.post(f"/admin/organisations/{org}/status", data={f"o{org}-status": "partner"})
    assert response.status_code == 303
    assert organisation_status(app, "Soil Lab") == "partner"
    events = audit_events(app, "organisation.")
    assert [(e[0], e[1], e[2], e[3], e[4]) for e in events] == [
        (admin_id(app), "organisation.status", "Organisation", str(org), {"from": "none", "to": "partner"})]
    # The new standing opens leadership to the organisation's people.
    ada = logged_in(app, "ada@example.org")
    assert join_web(ada, "A2", role="regional_representative").status_code == 302


def test_setting_the_same_status_again_logs_nothing(app, make_user):
    make_user("sam@example.org", admin=True)
    make_user("ada@example.org", organisation="Soil Lab", status="member")
    org = organisation_id(app, "Soil Lab")
    admin = logged_in(app, "sam@example.org")
    admin.post(f"/admin/organisations/{org}/status", data={f"o{org}-status": "member"})
    assert audit_events(app) == []


def test_a_bad_organisation_status_is_refused(app, make_user):
    make_user("sam@example.org", admin=True)
    make_user("ada@example.org", organisation="Soil Lab")
    org = organisation_id(app, "Soil Lab")
    admin = logged_in(app, "sam@example.org")
    response = admin.post(f"/admin/organisations/{org}/status", data={f"o{org}-status": "owner"})
    assert response.status_code == 303
    assert "Choose member, partner or none." in admin.get("/admin/organisations").get_data(as_text=True)
    assert organisation_status(app, "Soil Lab") == "none"
    assert admin.post("/admin/organisations/99999/status",
                      data={"o99999-status": "member"}).status_code == 404


def test_a_member_cannot_change_an_organisation_status(app, make_user):
    make_user("ada@example.org", organisation="Soil Lab")
    org = organisation_id(app, "Soil Lab")
    ada = logged_in(app, "ada@example.org")
    assert ada.post(f"/admin/organisations/{org}/status",
                    data={f"o{org}-status": "member"}).status_code == 403
    assert organisation_status(app, "Soil Lab") == "none"


def test_the_composition_page_counts_approved_members(app, make_user):
    make_user("sam@example.org", admin=True)
    make_user("a@example.org", region="Africa", stakeholder_group="farmers", status="member")
    make_user("b@example.org", region="Africa", stakeholder_group="research")
    make_user("c@example.org", region="Europe", stakeholder_group="research", status="member")
    join_web(logged_in(app, "a@example.org"), "E2", region="Africa")
    join_web(logged_in(app, "b@example.org"), "E2", region="Africa")
    join_web(logged_in(app, "c@example.org"), "E2", role="global_leader", region="Europe")  # pending
    page = logged_in(app, "sam@example.org").get("/admin/task-forces/E2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    import re

    def count(label):
        match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td>(\d+)</td>", html)
        return int(match.group(1)) if match else 0

    assert count("Team Member") == 2
    assert count("Global Leader") == 0  # still pending
    assert count("Africa") == 2
    assert count("Farmers and land managers") == 1
    assert count("Research and academia") == 1
