"""The ``mail`` gettext domain: the messages' own catalogue.

Mail texts live in ``delphi/mail/translations/<lang>/LC_MESSAGES/mail.po``,
apart from the site's ``messages`` catalogue, so the mail feature can be
translated (and reviewed) on its own. The ``.po`` files are read directly
(compiled in memory once per process), so no binary ``.mo`` is committed.
Rendering happens under Flask-Babel's ``force_locale(<recipient language>)``,
which this domain follows.
"""
from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask_babel import Domain, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
_CACHE: dict[str, NullTranslations] = {}


def _load(language: str) -> NullTranslations:
    if language not in _CACHE:
        po = TRANSLATIONS / language / "LC_MESSAGES" / "mail.po"
        if not po.exists():
            _CACHE[language] = NullTranslations()
        else:
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=language, domain="mail")
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            _CACHE[language] = Translations(fp=buffer, domain="mail")
    return _CACHE[language]


class MailDomain(Domain):
    def __init__(self):
        super().__init__(translation_directories=[str(TRANSLATIONS)], domain="mail")

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        return _load(locale.language)


domain = MailDomain()
gettext = domain.gettext
ngettext = domain.ngettext


def N_(message: str) -> str:
    """Mark a message for extraction; translated later, in the recipient's language."""
    return message
