"""Study pages: the items of a study (moderators).

Write and translate items of every question kind (``rounds.kinds``: the
form gives each kind's parameters, the registry judges them), edit one while
no opened round holds it (else reword it into a new item with its lineage), and merge an open-ended
round's proposals into items.
"""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import rounds
from delphi.core.database import db
from delphi.core.errors import DomainError, InvalidInput
from delphi.core.models import Item, Proposal, TaskForce
from delphi.forms_studies import ItemForm, MergeForm
from delphi.i18n import current_language
from delphi.unit_of_work import unit_of_work
from delphi.views.study_helpers import bp, done, item_of, moderated, round_of
from rounds.kinds import kind_label

__all__ = ["bp"]


def _item_form(study, item=None) -> ItemForm:
    """The item form with the study's indicators and its other items (ranking options)."""
    task_force = db.session.get(TaskForce, study.task_force_id)
    indicators = sorted(task_force.indicators, key=lambda i: (i.position, i.id)) if task_force else []
    others = db.session.scalars(select(Item).where(
        Item.study_id == study.id, *([Item.id != item.id] if item is not None else []))
        .order_by(Item.id)).all()
    form = ItemForm(indicators=indicators, items=others, language=current_language())
    if request.method == "POST":
        form.read_items(request.form)
    return form


def _refused(form: ItemForm, error: DomainError) -> None:
    """The service's message, and its field errors beside the fields."""
    left = form.show_errors(error.fields) if isinstance(error, InvalidInput) else {}
    flash(error.message, "error")
    for message in left.values():
        flash(message, "error")


def _render(study, form, item):
    return render_template("studies/item.html", study=study, form=form, item=item,
                           kind_label=kind_label)


@bp.route("/<int:study_id>/items/new", methods=["GET", "POST"])
@login_required
@unit_of_work
def new_item(study_id: int):
    study = moderated(study_id)
    form = _item_form(study)
    if form.validate_on_submit():
        try:
            item = rounds.add_item(study, form.text.data.strip(), actor=current_user,
                                   background=(form.background.data or "").strip(),
                                   target=form.target.data or None, translations=form.translations(),
                                   kind=form.kind.data or "rating", params=form.kind_params())
        except DomainError as error:
            db.session.rollback()
            _refused(form, error)
            return _render(study, form, None), error.status
        else:
            return done(_("Item %(code)s is added.", code=item.code), "studies.show", study_id=study.id)
    return _render(study, form, None), (422 if form.errors else 200)


@bp.route("/<int:study_id>/items/<int:item_id>", methods=["GET", "POST"])
@login_required
@unit_of_work
def edit_item(study_id: int, item_id: int):
    study = moderated(study_id)
    item = item_of(study, item_id)
    form = _item_form(study, item)
    kind = item.kind or "rating"
    if request.method == "GET":
        form.text.data, form.background.data = item.text, item.background
        form.target.data = item.target or ""
        form.fill_translations(item)
        form.fill_params(kind, dict(item.params or {}))
    else:
        form.kind.data = kind  # an item keeps its kind: a reworded item too
    if request.method == "POST" and form.validate_on_submit():
        try:
            if request.form.get("as_new"):
                new_item_ = rounds.reword_item(item, form.text.data.strip(), actor=current_user)
                message = _("Item %(code)s is a rewording of %(old)s.", code=new_item_.code, old=item.code)
            else:
                rounds.update_item(item, actor=current_user, text=form.text.data.strip(),
                                   background=(form.background.data or "").strip(),
                                   target=form.target.data or None, translations=form.translations(),
                                   params=form.kind_params(item.params) if kind != "rating" else None)
                message = _("Item %(code)s is updated.", code=item.code)
        except DomainError as error:
            db.session.rollback()
            _refused(form, error)
            return _render(study, form, item), error.status
        return done(message, "studies.show", study_id=study.id)
    return _render(study, form, item), (422 if form.errors else 200)


@bp.route("/<int:study_id>/rounds/<int:number>/merge", methods=["GET", "POST"])
@login_required
@unit_of_work
def merge(study_id: int, number: int):
    """Turn an open-ended round's proposals into an item, keeping their ids (lineage)."""
    study = moderated(study_id)
    round_ = round_of(study, number)
    proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)
                                   .order_by(Proposal.id)).all()
    items = db.session.scalars(select(Item).where(Item.study_id == study.id).order_by(Item.id)).all()
    form = MergeForm()
    if form.validate_on_submit():
        known = {p.id for p in proposals}
        chosen = [int(v) for v in request.form.getlist("proposal") if v.isdigit() and int(v) in known]
        from_items = [i for i in items if str(i.id) in request.form.getlist("from_item")]
        if not chosen and not from_items:
            flash(_("Tick the proposals (or items) the new item comes from."), "error")
        else:
            try:
                item = rounds.item_from_proposals(study, form.text.data.strip(), chosen,
                                                  actor=current_user, from_items=from_items)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                return done(_("Item %(code)s is made from %(n)d proposals.", code=item.code,
                               n=len(chosen)), "studies.merge", study_id=study.id, number=number)
    return render_template("studies/merge.html", study=study, round=round_, proposals=proposals,
                           items=items, form=form), 422 if form.errors else 200
