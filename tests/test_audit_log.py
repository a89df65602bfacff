"""The audit log is append-only, in the database itself (issue 2, item 8)."""
from __future__ import annotations

import pytest
from sqlalchemy import exc, select, text


@pytest.fixture
def event_id(app, make_user):
    from delphi.core import audit
    from delphi.core.database import db
    from delphi.core.models import Organisation

    admin = make_user("sam@example.org", admin=True)
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        event = audit.record(admin, "organisation.status", org, details={"from": "none", "to": "member"})
        db.session.commit()
        return event.id


def stored(app, event_id):
    from delphi.core.database import db

    with app.app_context():
        return db.session.execute(
            text("SELECT action, object_type, details FROM audit_event WHERE id = :id"),
            {"id": event_id}).one_or_none()


def test_an_event_carries_actor_time_action_object_and_details(app, event_id):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent, User, utcnow

    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        actor = db.session.get(User, event.actor_id)
        assert actor.email == "sam@example.org"
        assert event.action == "organisation.status"
        assert event.object_type == "Organisation" and event.object_id.isdigit()
        assert event.details == {"from": "none", "to": "member"}
        assert event.at.utcoffset().total_seconds() == 0
        assert abs((utcnow() - event.at).total_seconds()) < 60


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'forged' WHERE id = :id",
    "UPDATE audit_event SET details = '{}' WHERE id = :id",
    "DELETE FROM audit_event WHERE id = :id",
    "DELETE FROM audit_event",
])
def test_the_database_refuses_to_change_or_delete_an_event(app, event_id, statement):
    from delphi.core.database import db

    with app.app_context():
        with pytest.raises(exc.DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": event_id})
            db.session.flush()
        db.session.rollback()
    assert stored(app, event_id).action == "organisation.status"


def test_the_orm_refuses_too(app, event_id):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent
    from delphi.core.models.audit import AuditLogIsAppendOnly

    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        event.action = "forged"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        event = db.session.get(AuditEvent, event_id)
        db.session.delete(event)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
    assert stored(app, event_id).action == "organisation.status"


def test_appending_still_works(app, event_id):
    from delphi.core import audit
    from delphi.core.database import db

    with app.app_context():
        audit.record(None, "test.append", ("Thing", 7))
        db.session.commit()
        count = db.session.scalar(text("SELECT count(*) FROM audit_event"))
    assert count == 2


def test_secrets_and_answers_never_reach_the_log(app):
    from delphi.core import audit
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        event = audit.record(None, "test.secret", ("Thing", 1), details={
            "password": "hunter2hunter2", "token": "abc", "ratings": [1, 2], "answers": {},
            "value": 4, "comment": "I think...", "kept": "yes"})
        db.session.commit()
        assert db.session.get(AuditEvent, event.id).details == {"kept": "yes"}


def test_no_route_writes_to_the_audit_log_except_by_appending():
    """No module of the web layer issues an UPDATE or DELETE on audit events."""
    from pathlib import Path

    import delphi

    root = Path(delphi.__file__).parent
    offenders = []
    for path in list((root / "views").rglob("*.py")) + list((root / "api").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for needle in ("update(AuditEvent", "delete(AuditEvent", "UPDATE audit_event",
                       "DELETE FROM audit_event"):
            if needle in source:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []
