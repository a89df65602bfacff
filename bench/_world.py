"""A large study for the benchmarks, inserted in bulk (shared by ``bench_dashboard``
and ``bench_export``).

Users, memberships, responses and ratings go in with Core inserts and a fixed
password hash; the study, its items and its rounds go through ``rounds`` (each
round opened, answered with seeded ratings, about 5 % "cannot rate", and closed),
so the frozen statistics are the real ones.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import numpy as np

FIXED_HASH = "$argon2id$v=19$m=8,t=1,p=1$YmVuY2hzYWx0$YmVuY2hoYXNoYmVuY2hoYXNo"


def open_app(path):
    """The app on the SQLite file ``path`` (cheap password hashing) and whether the
    file existed; a new file gets the schema and the plan."""
    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.core.database import db
    from delphi.services.plan import load_plan

    reuse = path.exists()
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}})
    if not reuse:
        with app.app_context():
            upgrade()
            load_plan()
            db.session.commit()
    return app, reuse


def insert_ratings(db, rnd, panellist_ids, item_ids, criteria, rng, now) -> None:
    """One submitted response per panellist with a seeded rating of every item × criterion."""
    from sqlalchemy import insert, select

    from delphi.core.models import Rating, Response

    db.session.execute(insert(Response), [
        {"round_id": rnd.id, "panellist_id": p, "status": "submitted", "draft": {},
         "started_at": now, "updated_at": now, "submitted_at": now} for p in panellist_ids])
    response_ids = list(db.session.scalars(select(Response.id).where(Response.round_id == rnd.id)
                                           .order_by(Response.id)))
    batch = []
    for r in response_ids:
        values = rng.integers(1, 6, size=(len(criteria), len(item_ids)))
        missing = rng.random((len(criteria), len(item_ids))) < 0.05
        for c, criterion in enumerate(criteria):
            for j, item_id in enumerate(item_ids):
                batch.append({"response_id": r, "item_id": item_id, "criterion": criterion,
                              "value": None if missing[c, j] else int(values[c, j]),
                              "reason": None})
        if len(batch) >= 100_000:
            db.session.execute(insert(Rating), batch)
            batch = []
    if batch:
        db.session.execute(insert(Rating), batch)


def build_study(app, n_panellists: int, n_items: int, criteria, *, n_rounds: int = 1,
                seed: int = 0, member: Callable[[int, list], dict] | None = None,
                item_text: Callable[[int], str] = lambda j: f"Item {j}",
                **study_options) -> tuple[int, list]:
    """Insert a study of ``n_panellists`` × ``n_items`` × ``criteria`` with ``n_rounds``
    closed rounds. ``member(i, region_ids)`` gives extra columns of the i-th panellist's
    user (region, stakeholder group) and ``"role"`` of their membership;
    ``study_options`` go to ``rounds.create_study``.

    Returns the study id and the ``close_round`` report of each round."""
    from sqlalchemy import insert, select

    import rounds
    from delphi.core.database import db
    from delphi.core.models import (
        ApprovalStatus,
        Membership,
        Organisation,
        Panellist,
        Region,
        Round,
        TaskForce,
        User,
    )

    now = datetime.now(timezone.utc)
    rng = np.random.default_rng(seed)
    member = member or (lambda i, region_ids: {})
    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        region_ids = list(db.session.scalars(select(Region.id).order_by(Region.id)))
        org_id = db.session.execute(insert(Organisation).values(name="Bench organisation")
                                    .returning(Organisation.id)).scalar_one()
        db.session.execute(insert(User), [{"email": "admin@bench.example.org", "name": "Admin",
                                           "password_hash": FIXED_HASH, "organisation_id": org_id,
                                           "is_admin": True}])
        admin = db.session.scalar(select(User).where(User.email == "admin@bench.example.org"))
        extra = [member(i, region_ids) for i in range(n_panellists)]
        db.session.execute(insert(User), [
            {"email": f"p{i}@bench.example.org", "name": f"Panellist {i}",
             "password_hash": FIXED_HASH, "organisation_id": org_id,
             **{k: v for k, v in extra[i].items() if k != "role"}}
            for i in range(n_panellists)])
        user_ids = list(db.session.scalars(select(User.id).where(User.is_admin.is_(False))
                                           .order_by(User.id)))
        db.session.execute(insert(Membership), [
            {"user_id": u, "task_force_id": tf.id, "role": extra[i].get("role", "team_member"),
             "status": ApprovalStatus.approved, "joined_at": now - timedelta(days=30)}
            for i, u in enumerate(user_ids)])
        study = rounds.create_study(tf, "Bench study", actor=admin, criteria=tuple(criteria),
                                    **study_options)
        items = [rounds.add_item(study, item_text(j), actor=admin) for j in range(n_items)]
        rounds.draft_round(study, items=items, actor=admin)
        db.session.commit()
        study_id = study.id
        reports = []
        for number in range(1, n_rounds + 1):
            rnd = db.session.scalar(select(Round).where(Round.study_id == study_id,
                                                        Round.number == number))
            rounds.open_round(rnd, actor=admin)  # enrols the members
            panellist_ids = list(db.session.scalars(select(Panellist.id).where(
                Panellist.study_id == study_id).order_by(Panellist.id)))
            item_ids = [ri.item_id for ri in rnd.round_items]
            insert_ratings(db, rnd, panellist_ids, item_ids, criteria, rng, now)
            db.session.commit()
            reports.append(rounds.close_round(rnd, actor=admin))
            db.session.commit()
        return study_id, reports
