"""Researchers' exports: anonymised tables, codebook, reproduction script, report.

``build_and_record`` is the one entry point the web page, the API and the
CLI call: it checks nothing about access (the caller does, with
:func:`delphi.access.can_research`), builds the ZIP and appends an audit event
(who, when, which tier and format, and the SHA-256 of every file). Unlike a
service it commits, in two transactions (see its docstring), because the
read of a large study must not hold SQLite's write lock.
"""
from __future__ import annotations

from flask_babel import gettext as _

from delphi.config import current_policy
from delphi.core import audit, database
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.models import Study, User
from delphi.exports.formats import FORMATS
from delphi.exports.package import Package, build_package
from delphi.exports.report import render_report, report_context
from delphi.exports.tiers import TIERS

__all__ = ["FORMATS", "TIERS", "Package", "build_and_record", "check_choice"]


def check_choice(tier: str | None, fmt: str | None) -> tuple[str, str]:
    """Validate ``tier`` and ``format`` (defaults: deidentified, csv); 422 naming the field."""
    tier = tier or "deidentified"
    fmt = fmt or "csv"
    fields = {}
    if tier not in TIERS:
        fields["tier"] = _("Choose one of: %(choices)s.", choices=", ".join(TIERS))
    if fmt not in FORMATS:
        fields["format"] = _("Choose one of: %(choices)s.", choices=", ".join(FORMATS))
    if fields:
        raise InvalidInput(_("Invalid input."), fields=fields)
    return tier, fmt


def report_files(study: Study) -> dict[str, bytes]:
    """The report as HTML, PDF and DOCX (one context, so the three say the same)."""
    from delphi.exports.report_docx import render_docx
    from delphi.exports.report_pdf import render_pdf

    context = report_context(study)
    return {"report.html": render_report(study, standalone=True, context=context).encode("utf-8"),
            "report.pdf": render_pdf(study, context=context),
            "report.docx": render_docx(study, context=context)}


def build_and_record(study: Study, tier: str, fmt: str, *, actor: User | None, channel: str,
                     with_report: bool = True) -> Package:
    """For the web page, the API and the CLI: build the ZIP and record the audit
    event, each in its own transaction, then commit.

    The build only reads, so on SQLite it runs in a ``DEFERRED`` transaction
    (readers never block panellists who submit meanwhile); the audit event is
    then written in a short ``BEGIN IMMEDIATE`` transaction of its own.
    """
    tier, fmt = check_choice(tier, fmt)
    study_id, actor_id = study.id, getattr(actor, "id", None)
    k = current_policy().k_anonymity
    db.session.commit()  # end the request's transaction (it wrote nothing)
    token = database.sqlite_begin_mode.set("DEFERRED")
    try:
        study = db.session.get(Study, study_id)
        package = build_package(study, tier, fmt, k=k,
                                report_files=report_files if with_report else None)
        db.session.commit()
    finally:
        database.sqlite_begin_mode.reset(token)
    token = database.sqlite_begin_mode.set("IMMEDIATE")
    try:
        actor = db.session.get(User, actor_id) if actor_id is not None else None
        audit.record(actor, "study.export", ("Study", study_id), details={
            "tier": tier, "format": fmt, "channel": channel, "k": k,
            "sha256": package.files, "rows": package.rows})
        db.session.commit()
    finally:
        database.sqlite_begin_mode.reset(token)
    return package
