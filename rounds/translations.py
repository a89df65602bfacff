"""A study's texts in the reader's language, and what is not translated yet.

A study's own words (title, description, the names of its criteria and the
labels of its scale) are kept in English in their columns, and in the
other languages in ``Study.translations``::

    {"fr": {"title": "...", "description": "...",
            "criteria": {"importance": "importance"},
            "scale_labels": ["Très faible", ..., "Très élevé"]}}

Items keep theirs in ``Item.translations`` (``{"fr": {"text", "background"}}``)
and ranking options in each option's ``translations``. Every reader gets
their language where it is given, else the English text.
:func:`missing_translations` lists what a round would show untranslated, so
that the moderator sees it before opening the round.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from delphi.core import audit
from delphi.core.errors import InvalidInput
from delphi.core.models import Round, Study
from delphi.core.policy import DEFAULT_POLICY, Policy
from delphi.core.text import text_problem
from rounds.consent import current_version
from rounds.protocol_checks import (
    DESCRIPTION_MAX,
    LABEL_MAX,
    SCALES,
    TITLE_MAX,
    default_scale_labels,
)
from rounds.vocabulary import CRITERION_LABELS, criterion_label

#: The study's fields that are translated, with their length limits.
STUDY_FIELDS = {"title": TITLE_MAX, "description": DESCRIPTION_MAX}


def _of(study: Study, language: str | None) -> Mapping:
    return ((study.translations or {}).get(language or "") or {}) if language else {}


def study_text(study: Study, field: str, language: str | None) -> str:
    """The study's ``title`` or ``description`` in ``language``, else in English."""
    return str(_of(study, language).get(field) or getattr(study, field) or "")


def study_criterion(study: Study, criterion: str, language: str | None) -> str:
    """A criterion's name in ``language``: the study's translation, else the
    interface's label of a usual criterion (:data:`CRITERION_LABELS`, in the
    current locale), else its name as written."""
    given = (_of(study, language).get("criteria") or {}).get(criterion)
    return str(given or criterion_label(criterion))


def uses_default_scale_labels(study: Study) -> bool:
    """Whether the study kept the default scale labels (shown translated by the interface)."""
    labels = list(study.scale_labels or [])
    return study.scale_points in SCALES and labels == default_scale_labels(study.scale_points, "en")


def study_scale_labels(study: Study, language: str | None) -> list[str]:
    """The scale's labels in ``language``: the default labels in that language
    when the study kept the defaults, else the study's translation, else its
    own labels."""
    if uses_default_scale_labels(study):
        return default_scale_labels(study.scale_points, language or "en")
    given = _of(study, language).get("scale_labels") or []
    own = list(study.scale_labels or [])
    return [str(given[i]) if i < len(given) and given[i] else label for i, label in enumerate(own)]


@dataclass(frozen=True)
class MissingTranslation:
    """One text a reader in ``language`` would see in English: ``what`` says
    which ("Title", "Item I03: text", "Criterion feasibility")."""

    language: str
    what: str


def missing_translations(study: Study, round_: Round | None = None, *,
                         policy: Policy = DEFAULT_POLICY) -> list[MissingTranslation]:
    """What is not translated into each interface language other than
    English: the study's title and description, criteria that are not usual
    ones, scale labels that are not the defaults, and (with ``round_``) the
    text, background and unit of its items and their ranking options; and the
    current information sheet and consent text (``rounds.consent``)."""
    out: list[MissingTranslation] = []
    consent_version = current_version(study)
    items = [ri.item for ri in sorted(round_.round_items, key=lambda r: r.position)] \
        if round_ is not None else []
    for language in (lang for lang in policy.languages if lang != "en"):
        given = _of(study, language)
        for field, label in (("title", _("Title")), ("description", _("Description"))):
            if (getattr(study, field) or "").strip() and not given.get(field):
                out.append(MissingTranslation(language, str(label)))
        for criterion in study.criteria or []:
            if criterion not in CRITERION_LABELS and not (given.get("criteria") or {}).get(criterion):
                out.append(MissingTranslation(language, _("Criterion %(c)s", c=criterion)))
        consent = (consent_version.translations or {}).get(language) or {} \
            if consent_version is not None else None
        for field, label in (("information_sheet", _("Information sheet")),
                             ("consent_text", _("Consent text"))):
            if consent is not None and not consent.get(field):
                out.append(MissingTranslation(language, str(label)))
        if not uses_default_scale_labels(study):
            labels = given.get("scale_labels") or []
            if len([x for x in labels if x]) < len(study.scale_labels or []):
                out.append(MissingTranslation(language, _("Labels of the scale points")))
        for item in items:
            tr = (item.translations or {}).get(language) or {}
            if not tr.get("text"):
                out.append(MissingTranslation(language, _("Item %(code)s: text", code=item.code)))
            if (item.background or "").strip() and not tr.get("background"):
                out.append(MissingTranslation(language, _("Item %(code)s: background",
                                                          code=item.code)))
            unit = (item.params or {}).get("unit") or ""
            if any(c.isalpha() for c in unit) and not tr.get("unit"):  # "%" needs none
                out.append(MissingTranslation(language, _("Item %(code)s: unit", code=item.code)))
            for option in (item.params or {}).get("options") or []:
                if "text" not in option:  # an option that is another item: that item's text
                    continue
                if not (option.get("translations") or {}).get(language):
                    out.append(MissingTranslation(language, _(
                        "Item %(code)s: option “%(option)s”", code=item.code,
                        option=option.get("text", ""))))
    return out


def set_study_translations(study: Study, language: str, values: Mapping, *, actor,
                           policy: Policy = DEFAULT_POLICY, now=None) -> None:
    """Set the study's texts in ``language`` (not English: the columns hold
    it): ``{"title", "description", "criteria": {name: text}, "scale_labels":
    [...]}``, empty strings meaning "not translated". ``InvalidInput`` naming
    each wrong field, nothing changed. Audited."""
    if language not in policy.languages or language == "en":
        raise InvalidInput(_("Invalid input."), fields={"language": _(
            "Unsupported language: choose one of %(languages)s.",
            languages=", ".join(x for x in policy.languages if x != "en"))})
    errors: dict[str, str] = {}
    entry: dict = {}

    def check(name: str, value, limit: int) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            errors[name] = _("Invalid input.")
            return ""
        value = value.strip()
        problem = text_problem(value) if value else None
        if problem:
            errors[name] = problem
        elif len(value) > limit:
            errors[name] = _("Use at most %(n)d characters.", n=limit)
        return value

    for field, limit in STUDY_FIELDS.items():
        value = check(field, values.get(field), limit)
        if value:
            entry[field] = value
    criteria = values.get("criteria") or {}
    if not isinstance(criteria, Mapping) or not set(criteria) <= set(study.criteria or []):
        errors["criteria"] = _("Translate only the study's own criteria.")
    else:
        names = {c: check(f"criteria.{c}", criteria.get(c), LABEL_MAX) for c in study.criteria}
        if any(names.values()):
            entry["criteria"] = {c: v for c, v in names.items() if v}
    labels = values.get("scale_labels") or []
    if not isinstance(labels, Iterable) or isinstance(labels, str | bytes) \
            or len(list(labels)) > len(study.scale_labels or []):
        errors["scale_labels"] = _("Give one label per scale point, lowest first.")
    else:
        checked = [check("scale_labels", x, LABEL_MAX) for x in labels]
        if any(checked):
            entry["scale_labels"] = checked
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    before = dict((study.translations or {}).get(language) or {})
    translations = dict(study.translations or {})
    if entry:
        translations[language] = entry
    else:
        translations.pop(language, None)
    study.translations = translations  # a new dict: the JSON column sees the change
    changed = sorted(k for k in set(before) | set(entry) if before.get(k) != entry.get(k))
    if changed:
        audit.record(actor, "study.translate", study,
                     details={"language": language, "fields": changed}, now=now)
