"""Writing to the append-only audit log."""
from __future__ import annotations

from datetime import datetime

from delphi.core.database import db
from delphi.core.models import AuditEvent, User, utcnow

#: Keys that must never reach the log, whatever a caller passes.
_FORBIDDEN_KEYS = frozenset({"password", "token", "ratings", "answers", "value", "comment"})


def record(actor: User | None, action: str, obj: object, *, details: dict | None = None,
           now: datetime | None = None) -> AuditEvent:
    """Append an event: who (``actor``), what (``action``), to which object.

    ``obj`` is a model instance (its class name and id are logged) or a
    ``(type, id)`` pair. ``details`` never carries answers or secrets.
    """
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = type(obj).__name__, getattr(obj, "id", None)
    clean = {k: v for k, v in (details or {}).items() if k not in _FORBIDDEN_KEYS}
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action, object_type=str(object_type),
        object_id=str(object_id), details=clean, at=now or utcnow(),
    )
    db.session.add(event)
    return event
