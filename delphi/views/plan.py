"""The strategic plan: goals, objectives and their task forces (public)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Goal, Membership
from delphi.services.membership import task_force_by_code

bp = Blueprint("plan", __name__)


def _language() -> str:
    return str(get_locale() or "en")


@bp.get("/")
def index():
    goals = db.session.scalars(select(Goal).order_by(Goal.code)).all()
    return render_template("plan/index.html", goals=goals, lang=_language())


@bp.get("/task-forces/<code>")
def task_force(code: str):
    tf = task_force_by_code(code)
    membership = None
    if current_user.is_authenticated:
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == current_user.id, Membership.task_force_id == tf.id))
    return render_template("plan/task_force.html", tf=tf, membership=membership, lang=_language())
