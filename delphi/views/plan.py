"""The strategic plan: goals, objectives and their task forces (public)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template
from flask_babel import format_decimal, get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from delphi.core.database import db
from delphi.core.models import Goal, Membership, TaskForce
from delphi.services.membership import task_force_by_code

bp = Blueprint("plan", __name__)


def _language() -> str:
    return str(get_locale() or "en")


def _editable() -> bool:
    """The secretariat sees an Edit link beside each indicator."""
    return bool(current_user.is_authenticated and current_user.is_admin)


@bp.app_template_filter("plan_number")
def plan_number(value) -> str:
    """An indicator's value in the reader's locale (961, 1 234,5 in French)."""
    return format_decimal(value)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon (an SVG; browsers ask for /favicon.ico whatever the page says)."""
    icon = Path(current_app.static_folder, "favicon.svg").read_bytes()
    return Response(icon, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/")
def index():
    goals = db.session.scalars(select(Goal).order_by(Goal.code).options(
        selectinload(Goal.task_forces).selectinload(TaskForce.indicators))).all()
    return render_template("plan/index.html", goals=goals, lang=_language(), editable=_editable())


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement: what is tested, and how (public)."""
    return render_template("help/accessibility.html")


@bp.get("/task-forces/<code>")
def task_force(code: str):
    tf = task_force_by_code(code)
    membership = None
    if current_user.is_authenticated:
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == current_user.id, Membership.task_force_id == tf.id))
    return render_template("plan/task_force.html", tf=tf, membership=membership, lang=_language(),
                           editable=_editable())
