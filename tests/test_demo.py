"""The demo a newcomer sees: ``flask --app delphi demo``."""
from __future__ import annotations

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import ItemStatistics, Membership, Round, RoundStatus, Study, User


def test_demo_loads_a_living_study_and_prints_logins(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("admin", "moderator", "panellist", "researcher"):
        assert role in result.output
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.task_force.code == "A5"
        statuses = [r.status for r in db.session.scalars(
            select(Round).where(Round.study_id == study.id).order_by(Round.number))]
        assert statuses == [RoundStatus.closed] * 3 + [RoundStatus.open]
        members = db.session.scalar(select(func.count()).select_from(Membership))
        assert 55 <= members <= 70
        # Three rounds of frozen statistics, and at least one item that never settles.
        last_closed = db.session.scalars(select(Round).where(
            Round.study_id == study.id, Round.number == 3)).one()
        verdicts = db.session.scalars(select(ItemStatistics.verdict).where(
            ItemStatistics.round_id == last_closed.id)).all()
        assert "no_consensus" in verdicts and "consensus_in" in verdicts
        assert db.session.scalar(select(func.count()).select_from(User)) >= 60

    # The printed logins work.
    password = result.output.split("password for all: ")[1].split(")")[0]
    email = next(line.split()[1] for line in result.output.splitlines()
                 if line.strip().startswith("panellist"))
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Study)) == 1
