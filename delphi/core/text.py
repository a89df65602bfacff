"""Text that can be stored: the one rule, for every entry point.

Neither SQLite's nor PostgreSQL's text columns can keep every string Python
can hold: PostgreSQL refuses NUL, neither UTF-8 store can hold a lone
surrogate, and control characters (but tab and line breaks) are never text
a person meant. :func:`text_problem` says what is wrong with a text, in the
reader's language; the services call it field by field (so a form shows its
error beside the field) and ``delphi.boundary`` calls it on everything a
request brings in that no service checks (paths, queries, JSON bodies).
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

#: Characters no stored text may hold.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, in the reader's language, or None."""
    if not UNSTORABLE.search(text):
        return None
    if "\x00" in text:
        return _("This text contains a NUL character, which cannot be stored.")
    if _SURROGATE.search(text):
        return _("This text contains an invalid character (a lone surrogate).")
    return _("Remove the control characters or broken characters from this text.")


def repaired(value):
    """``value`` (a draft: dicts, lists, strings, numbers) with every character
    that cannot be stored replaced by U+FFFD, so a draft saved before this rule
    existed (with a lone surrogate in a comment, say) can be shown and
    submitted again instead of failing: the panellist sees the mark and can
    correct it. Returns a new structure; strings without a fault are kept."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value) if UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {repaired(k): repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repaired(v) for v in value]
    return value
