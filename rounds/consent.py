"""Informed consent: a study's information sheet and consent text, versioned,
and each panellist's acceptance (who, when, which version, in which language).

Every study has a version from its creation (:func:`create_standard_version`,
called by ``create_study``): the standard texts, in every interface
language, which the moderator may rewrite (:func:`publish_consent`). A
version nobody has accepted yet is rewritten in place; once someone has
accepted it, a new text is a new version, and every panellist accepts the
newest version before their next answer is saved (:func:`require_consent`,
called by ``rounds.answering``). The protocol's own consequences (what
withdrawal does to one's answers) are shown beside the texts by the pages,
from ``Study.withdrawal``, so they can never disagree with the protocol.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import Forbidden, InvalidInput, StateError
from delphi.core.models import (
    ConsentRecord,
    ConsentVersion,
    Panellist,
    PanellistStatus,
    Study,
    StudyStatus,
)
from delphi.core.policy import DEFAULT_POLICY
from delphi.core.text import text_problem

__all__ = [
    "MAX_CONSENT_TEXT", "ConsentRequired", "accept_consent", "consent_needed", "consent_records",
    "create_standard_version", "current_version", "publish_consent", "require_consent",
    "standard_texts",
]

#: The longest information sheet or consent text, in characters.
MAX_CONSENT_TEXT = 20_000
TEXTS = ("information_sheet", "consent_text")


def standard_texts(study: Study) -> dict[str, str]:
    """The standard information sheet and consent text of ``study``, in the
    current language (the caller forces the locale)."""
    code = getattr(getattr(study, "task_force", None), "code", "") or ""
    sheet = "\n\n".join([
        _("You are invited to take part in this Delphi study of task force %(task_force)s of "
          "the “4 per 1000” initiative.", task_force=code),
        _("A Delphi study asks a panel of experts the same questions over several rounds "
          "(at most %(n)d here). From the second round you see the group's answers, your own "
          "last answer and the other panellists' comments, and you may revise your answers.",
          n=study.max_rounds),
        _("The other panellists see your answers only as group figures, and your comments "
          "without your name. Your name, e-mail address and organisation are never shown to "
          "them. The data exported for research are anonymised."),
        _("Taking part is voluntary. You may withdraw at any time, from the study's page, "
          "without giving a reason. You may download your own data from your account."),
    ])
    consent = _("I have read the information sheet. I agree to take part in this study, and "
                "that my answers and comments are used as it describes.")
    return {"information_sheet": sheet, "consent_text": consent}


def current_version(study: Study) -> ConsentVersion | None:
    """The newest consent version of ``study`` (None only for a study created
    before consent was versioned)."""
    return db.session.scalar(select(ConsentVersion).where(ConsentVersion.study_id == study.id)
                             .order_by(ConsentVersion.version.desc()).limit(1))


def create_standard_version(study: Study, *, actor=None, policy=DEFAULT_POLICY,
                            now=None) -> ConsentVersion:
    """Version 1 of ``study``: the standard texts in English, translated into
    the policy's other languages."""
    texts: dict[str, dict[str, str]] = {}
    for language in policy.languages:
        with force_locale(language):
            texts[language] = standard_texts(study)
    english = texts.pop("en", None) or standard_texts(study)
    version = ConsentVersion(study_id=study.id, version=1, created_at=now_or(now),
                             created_by_id=getattr(actor, "id", None), translations=texts, **english)
    db.session.add(version)
    db.session.flush()
    return version


def _checked(values: dict, fields_prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name in TEXTS:
        value = values.get(name)
        key = f"{fields_prefix}{name}"
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = _("Give a text.")
            continue
        value = value.replace("\r\n", "\n").strip()
        if len(value) > MAX_CONSENT_TEXT:
            errors[key] = _("Use at most %(n)d characters.", n=MAX_CONSENT_TEXT)
        elif text_problem(value):
            errors[key] = text_problem(value)
        else:
            clean[name] = value
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return clean


def publish_consent(study: Study, values: dict, translations: dict | None = None, *, actor,
                    policy=DEFAULT_POLICY, now=None) -> ConsentVersion:
    """Set the information sheet and consent text (``values``: both, in
    English; ``translations``: ``{language: {information_sheet, consent_text}}``,
    an empty text meaning "not translated"). Rewrites the current version
    while nobody has accepted it, else publishes the next version (panellists
    then accept it before their next answer). ``InvalidInput`` naming each
    wrong field (``information_sheet``, ``fr.consent_text``, …), nothing
    changed; ``StateError`` once the study has ended. Audited as
    ``consent.update`` or ``consent.publish``."""
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    errors: dict[str, str] = {}
    english: dict[str, str] = {}
    try:
        english = _checked(values)
    except InvalidInput as error:
        errors.update(error.fields or {})
    for name in TEXTS:
        if name in english and not english[name]:
            errors[name] = _("This text is required.")
    other: dict[str, dict[str, str]] = {}
    for language, texts in (translations or {}).items():
        if language not in policy.languages or language == "en":
            errors["translations"] = _("This language is not offered.")
            continue
        try:
            kept = {k: v for k, v in _checked(texts or {}, f"{language}.").items() if v}
        except InvalidInput as error:
            errors.update(error.fields or {})
            continue
        if kept:
            other[language] = kept
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    current = current_version(study)
    if current is not None and current.information_sheet == english["information_sheet"] \
            and current.consent_text == english["consent_text"] \
            and (current.translations or {}) == other:
        return current  # nothing changed
    accepted = current is not None and db.session.scalar(
        select(func.count()).select_from(ConsentRecord)
        .where(ConsentRecord.version_id == current.id)) > 0
    if current is not None and not accepted:
        current.information_sheet = english["information_sheet"]
        current.consent_text = english["consent_text"]
        current.translations = other
        current.created_at = now
        current.created_by_id = getattr(actor, "id", None)
        action = "consent.update"
        version = current
    else:
        version = ConsentVersion(study_id=study.id, version=(current.version + 1 if current else 1),
                                 created_at=now, created_by_id=getattr(actor, "id", None),
                                 translations=other, **english)
        db.session.add(version)
        action = "consent.publish"
    db.session.flush()
    audit.record(actor, action, study, details={"version": version.version,
                                                "languages": sorted(other)}, now=now)
    return version


def consent_needed(panellist: Panellist) -> ConsentVersion | None:
    """The version ``panellist`` has still to accept before answering, or None
    (one query: the study's newest version and the panellist's record of it)."""
    row = db.session.execute(
        select(ConsentVersion, ConsentRecord.id)
        .outerjoin(ConsentRecord, and_(ConsentRecord.version_id == ConsentVersion.id,
                                       ConsentRecord.panellist_id == panellist.id))
        .where(ConsentVersion.study_id == panellist.study_id)
        .order_by(ConsentVersion.version.desc()).limit(1)).first()
    if row is None or row[1] is not None:
        return None
    return row[0]


class ConsentRequired(StateError):
    """The panellist has not accepted the current version yet (409)."""


def require_consent(panellist: Panellist) -> None:
    """:class:`ConsentRequired` while ``panellist`` has not accepted the current version."""
    needed = consent_needed(panellist)
    if needed is not None:
        raise ConsentRequired(_("Please read the information sheet and give your consent "
                           "(version %(n)d) before you answer.", n=needed.version))


def accept_consent(panellist: Panellist, version: int, *, language: str = "en",
                   now=None) -> ConsentRecord:
    """Record that ``panellist`` accepts ``version`` of their study's consent,
    read in ``language``. Accepting again is harmless (the first record
    stays). ``StateError`` when ``version`` is not the current one (the text
    changed while it was read), ``Forbidden`` once withdrawn."""
    now = now_or(now)
    if panellist.status is not PanellistStatus.active:
        raise Forbidden(_("You have withdrawn from this study."))
    study = panellist.study or db.session.get(Study, panellist.study_id)
    current = current_version(study)
    if current is None or isinstance(version, bool) or version != current.version:
        raise StateError(_("The information sheet has changed since you opened it: "
                           "please read the current version."))
    existing = db.session.scalar(select(ConsentRecord).where(
        ConsentRecord.panellist_id == panellist.id, ConsentRecord.version_id == current.id))
    if existing is not None:
        return existing
    record = ConsentRecord(panellist_id=panellist.id, version_id=current.id, accepted_at=now,
                           language=(language or "en")[:8])
    db.session.add(record)
    db.session.flush()
    return record


def consent_records(panellist: Panellist) -> list[ConsentRecord]:
    """Every acceptance of ``panellist``, oldest first."""
    return list(db.session.scalars(select(ConsentRecord).where(
        ConsentRecord.panellist_id == panellist.id).order_by(ConsentRecord.accepted_at,
                                                             ConsentRecord.id)))
