"""Test factories for the Delphi process: a study with its people, answered rounds.

Every helper opens its own ``app.app_context()`` and commits, so a test can
use them before and between requests of a test client::

    world = build_study(app, n_panellists=12, n_items=6)
    answers = answer_round(app, world, 1)            # opens round 1, all submit
    report = close(app, world, 1)                    # CloseReport (detached models)
    reports = run_rounds(app, world, 3)              # a converging Delphi

Users get distinct names, emails and organisations; everybody's password is
``conftest.PASSWORD``.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select

from tests.conftest import PASSWORD

_COUNTER = itertools.count(1)


@dataclass
class World:
    """A study and its people (emails), as built by :func:`build_study`."""

    study_id: int
    admin: str
    moderator: str
    researcher: str
    panellists: list[str]
    item_ids: list[int]
    password: str = PASSWORD
    task_force: str = "A5"
    criteria: tuple[str, ...] = ("importance",)
    scale_points: int = 5
    #: Names and organisations of everybody, to check that nothing leaks.
    names: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)


def _register(tag: str, role: str, number: int, *, admin: bool = False):
    from delphi.services.accounts import Registration, register

    email = f"{role}{number}.{tag}@example.org"
    name = f"{role.capitalize()} {tag.upper()} {number} Zyx"
    organisation = f"Organisation {role} {tag} {number}"
    user = register(Registration(email=email, password=PASSWORD, name=name,
                                 organisation=organisation, country="France", region="Europe",
                                 stakeholder_group="research", language="en", consent=True),
                    is_admin=admin)
    return user, name, organisation


def build_study(app, *, task_force="A5", n_panellists=12, n_items=6, criteria=("importance",),
                scale_points=5, title="Test study", **protocol) -> World:
    """Register an admin, a moderator, a researcher and ``n_panellists`` members of
    ``task_force`` (approved team members who joined before the cut-off), create
    the study (``protocol``: any other ``create_study`` keyword), assign the staff,
    add ``n_items`` items and draft round 1 with them (not opened)."""
    import rounds
    from delphi.core.database import db
    from delphi.core.models import (
        ApprovalStatus,
        Membership,
        StaffRole,
        TaskForce,
        TaskForceRole,
    )

    tag = f"w{next(_COUNTER)}"
    with app.app_context():
        names, organisations = {}, {}
        admin, n, o = _register(tag, "admin", 1, admin=True)
        names[admin.email], organisations[admin.email] = n, o
        moderator, n, o = _register(tag, "moderator", 1)
        names[moderator.email], organisations[moderator.email] = n, o
        researcher, n, o = _register(tag, "researcher", 1)
        names[researcher.email], organisations[researcher.email] = n, o
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == task_force))
        cutoff = protocol.get("panel_cutoff")
        joined = (cutoff or datetime.now(UTC)) - timedelta(days=30)
        panellists = []
        for i in range(1, n_panellists + 1):
            user, n, o = _register(tag, "panellist", i)
            names[user.email], organisations[user.email] = n, o
            db.session.add(Membership(user_id=user.id, task_force_id=tf.id,
                                      role=TaskForceRole.team_member,
                                      status=ApprovalStatus.approved, joined_at=joined))
            panellists.append(user.email)
        study = rounds.create_study(tf, title, actor=admin, scale_points=scale_points,
                                    criteria=tuple(criteria), **protocol)
        rounds.assign_staff(study, moderator, StaffRole.moderator, actor=admin)
        rounds.assign_staff(study, researcher, StaffRole.researcher, actor=admin)
        items = [rounds.add_item(study, f"Strategy {i}: measure soil organic carbon, option {i}",
                                 background=f"Background of strategy {i}.", actor=admin)
                 for i in range(1, n_items + 1)]
        rounds.draft_round(study, items=items, actor=admin)
        db.session.commit()
        return World(study_id=study.id, admin=admin.email, moderator=moderator.email,
                     researcher=researcher.email, panellists=panellists,
                     item_ids=[i.id for i in items], task_force=task_force,
                     criteria=tuple(study.criteria), scale_points=scale_points,
                     names=names, organisations=organisations)


def user_by_email(email: str):
    from delphi.core.database import db
    from delphi.core.models import User

    return db.session.scalar(select(User).where(User.email == email))


def get_round(world: World, number: int):
    """The Round ``number`` of the world's study (inside an app context)."""
    from delphi.core.database import db
    from delphi.core.models import Round

    found = db.session.scalar(select(Round).where(Round.study_id == world.study_id,
                                                  Round.number == number))
    assert found is not None, f"round {number} does not exist"
    return found


def panellist_of(world: World, email: str):
    from delphi.core.database import db
    from delphi.core.models import Panellist, User

    return db.session.scalar(select(Panellist).join(User, User.id == Panellist.user_id)
                             .where(Panellist.study_id == world.study_id, User.email == email))


def give_consent(world: World, emails=None) -> None:
    """The panellists ``emails`` (default: all) accept the study's current
    information sheet and consent text, as each does on the consent page
    before their first answer (inside an app context; the caller commits)."""
    from rounds.consent import accept_consent, consent_needed

    for email in (world.panellists if emails is None else emails):
        panellist = panellist_of(world, email)
        needed = consent_needed(panellist) if panellist is not None else None
        if needed is not None and panellist.status.value == "active":
            accept_consent(panellist, needed.version)


def open_round_of(app, world: World, number: int, *, closes_at=None, now=None, consent=True):
    """Open round ``number`` (a draft) as the moderator; returns its id. With
    ``consent`` the enrolled panellists then accept the consent text
    (:func:`give_consent`)."""
    import rounds
    from delphi.core.database import db

    with app.app_context():
        rnd = get_round(world, number)
        rounds.open_round(rnd, actor=user_by_email(world.moderator), closes_at=closes_at, now=now)
        if consent:
            give_consent(world)
        db.session.commit()
        return rnd.id


Values = dict | Callable | None


def answer_round(app, world: World, number: int, values: Values = None, *, seed=0, submit=True,
                 comments=None, who=None, reasons=True, now=None) -> dict:
    """Open round ``number`` if it is a draft, then have each panellist in ``who``
    (default: all) save and (``submit``) submit answers through ``rounds.save_answers``.

    ``values``: None (random points on the scale from ``numpy.random.default_rng(seed)``,
    about 1 in 20 "cannot rate" = None), ``{email: {item_id: {criterion: value}}}``,
    or ``callable(email, item_id, criterion) -> value``. ``comments``:
    ``{email: {item_id: text}}`` or ``callable(email, item_id) -> text | None``.
    With ``reasons`` a reason is given wherever the study requires one.

    Returns the answers given: ``{email: {item_id: {criterion: value}}}``.
    """
    import rounds
    from delphi.core.database import db
    from delphi.core.models import RoundStatus
    from rounds.answering import _outside_iqr

    rng = np.random.default_rng(seed)
    with app.app_context():
        rnd = get_round(world, number)
        if rnd.status is RoundStatus.draft:
            rounds.open_round(rnd, actor=user_by_email(world.moderator), now=now)
            db.session.commit()
        give_consent(world)  # everyone on the panel has read the information sheet
        db.session.commit()
        study = rnd.study
        criteria = list(study.criteria)
        round_items = [(ri.item_id, ri.feedback, ri.item.kind, ri.item.params)
                       for ri in rnd.round_items]
        given: dict[str, dict[int, dict[str, int | None]]] = {}
        for email in (who if who is not None else world.panellists):
            panellist = panellist_of(world, email)
            ratings, texts = [], {}
            given[email] = {}
            for item_id, feedback, kind, params in round_items:
                given[email][item_id] = {}
                for criterion in (criteria if kind == "rating" else [""]):
                    if callable(values):
                        value = values(email, item_id, criterion)
                    elif values is not None:
                        value = values[email][item_id][criterion]
                    elif kind == "rating":
                        value = None if rng.random() < 0.05 else int(rng.integers(1, study.scale_points + 1))
                    else:
                        value = random_answer(kind, params, rng)
                    reason = None
                    if reasons and study.require_reason_outside_iqr and _outside_iqr(
                            value, feedback, criterion, kind, params):
                        reason = "A reason given by the simulated panellist."
                    ratings.append(rounds.RatingInput(item_id, criterion, value, reason))
                    given[email][item_id][criterion] = value
                if comments is not None:
                    text = comments(email, item_id) if callable(comments) else comments.get(email, {}).get(item_id)
                    if text:
                        texts[item_id] = text
            rounds.save_answers(rnd, panellist, rounds.AnswerSet(ratings, texts), submit=submit, now=now)
            db.session.commit()
        return given


def random_answer(kind: str, params: dict, rng):
    """A random valid answer to an item of ``kind`` (about 1 in 20: cannot answer)."""
    if rng.random() < 0.05:
        return None
    if kind == "estimate":
        low, high = params["min"], params["max"]
        if params.get("quantiles"):
            p10, p50, p90 = sorted(float(x) for x in rng.uniform(low, high, 3))
            return {"p10": p10, "p50": p50, "p90": p90}
        return float(rng.uniform(low, high))
    if kind == "probability":
        return float(rng.integers(0, 101))
    if kind == "year":
        if rng.random() < 0.1:
            return "later"
        return int(rng.integers(params["min"], params["max"] + 1))
    if kind == "ranking":
        ids = [o["id"] for o in params["options"]]
        order = [ids[i] for i in rng.permutation(len(ids))]
        return order[:params["top_k"]] if params.get("top_k") else order
    raise ValueError(kind)


#: The items of every other kind that :func:`add_mixed_items` adds.
MIXED_ITEMS = (
    ("estimate", "Share of partner countries with soil-carbon targets in their NDCs by 2030 (%)",
     {"unit": "%", "min": 0, "max": 100, "quantiles": True,
      "baseline": {"value": 14.3, "year": 2019}, "target": {"value": 100, "year": 2030}}),
    ("estimate", "Awareness events a year by 2030",
     {"unit": "events", "min": 0, "max": 500, "quantiles": False,
      "baseline": {"value": 10, "year": 2020}, "target": {"value": 50, "year": 2030}}),
    ("probability", "Soil carbon is reported in every partner's NDC", {"event_year": 2030}),
    ("year", "Year by which 50 % of partners run soil-carbon monitoring", {"min": 2025, "max": 2050}),
    ("ranking", "Rank these strategies by their expected effect",
     {"options": ["Training", "Funding", "Monitoring", "Policy dialogue"], "top_k": None}),
)


def add_mixed_items(app, world: World, *, round_number: int = 1) -> list[int]:
    """Add one item of each other kind (:data:`MIXED_ITEMS`) to the study and to
    its draft round ``round_number``; returns their ids (the world's
    ``item_ids`` gains them)."""
    import rounds
    from delphi.core.database import db

    with app.app_context():
        from delphi.core.models import Study
        study = db.session.get(Study, world.study_id)
        admin = user_by_email(world.admin)
        new = [rounds.add_item(study, text, kind=kind, params=params, actor=admin)
               for kind, text, params in MIXED_ITEMS]
        rnd = get_round(world, round_number)
        rounds.set_round_items(rnd, [*world.item_ids, *(i.id for i in new)], actor=admin)
        db.session.commit()
        ids = [i.id for i in new]
    world.item_ids = [*world.item_ids, *ids]
    return ids


def close(app, world: World, number: int, *, now=None):
    """Close round ``number`` as the moderator; returns the ``CloseReport`` (its
    rounds are detached but loaded: ``report.round.id``, ``report.next_round.number``)."""
    import rounds
    from delphi.core.database import db

    with app.app_context():
        rnd = get_round(world, number)
        report = rounds.close_round(rnd, actor=user_by_email(world.moderator), now=now)
        db.session.commit()
        for obj in (report.round, report.next_round):
            if obj is not None:
                db.session.refresh(obj)
                db.session.expunge(obj)
        return report


def run_rounds(app, world: World, n_rounds: int, *, seed=0, comments=None) -> list:
    """Answer and close up to ``n_rounds`` rounds in a row, the answers converging
    towards the previous round's median (a simulated Delphi); stops early when
    the stopping rule drafts no next round. Returns the CloseReports."""
    rng = np.random.default_rng(seed)
    reports = []
    previous: dict[str, dict[int, dict[str, int | None]]] = {}
    points = world.scale_points
    for number in range(1, n_rounds + 1):
        with app.app_context():
            rnd = get_round(world, number)
            feedback = {ri.item_id: ri.feedback for ri in rnd.round_items}

        def value(email, item_id, criterion, _fb=feedback):
            before = previous.get(email, {}).get(item_id, {}).get(criterion)
            stats = ((_fb.get(item_id) or {}).get("criteria") or {}).get(criterion)
            if before is None or stats is None or stats.get("median") is None:
                return None if rng.random() < 0.05 else int(rng.integers(1, points + 1))
            target = stats["median"]
            moved = before + 0.6 * (target - before) + rng.normal(0, 0.35)
            return int(min(points, max(1, round(moved))))

        given = answer_round(app, world, number, value, seed=seed + number, comments=comments)
        for email, per_item in given.items():
            previous.setdefault(email, {}).update(per_item)
        report = close(app, world, number)
        reports.append(report)
        if report.next_round is None:
            break
    return reports


def consent_through_api(client, headers_of, study_id: int, emails) -> None:
    """Each panellist of ``emails`` reads the consent (``GET``) and accepts its
    version (``POST /api/v1/studies/{id}/consent``), as an API client does
    before its first answer. ``headers_of(email)`` → the bearer headers."""
    for email in emails:
        headers = headers_of(email)
        state = client.get(f"/api/v1/studies/{study_id}/consent", headers=headers)
        assert state.status_code == 200, state.get_json()
        if not state.get_json()["accepted"]:
            response = client.post(f"/api/v1/studies/{study_id}/consent",
                                   json={"version": state.get_json()["version"]}, headers=headers)
            assert response.status_code == 200, response.get_json()
