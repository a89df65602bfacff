"""The screen a moderator sees beside each comment and reason before release.

:func:`screen_text` is a pure function: it flags, in a panellist's free text,
what could tell the panel who wrote it or how to reach them: e-mail
addresses, phone numbers, web addresses, and the registered names of the
panel's members. It never changes the text; the moderator decides
(``rounds.moderation``). The patterns are deliberately simple and err on the
side of flagging: a false alarm costs a glance, a miss costs anonymity.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: What a flag is about (the moderation page labels them).
FLAG_KINDS = ("email", "phone", "url", "name")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"']+"
                  r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|int|info|io|fr|es|de"
                  r"|uk|eu|ch|be|it|nl|br|mx|ar|co|in|cn|jp|au|ca|africa)\b(?:/[^\s<>\"']*)?",
                  re.IGNORECASE)
# A run of at least 7 digits, possibly with a leading + and separated by
# spaces, dots, dashes, slashes or brackets (the formats of most countries).
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\(?\d[\d\s./()-]{5,}\d(?![\w])")
# Years and year ranges ("2025-2030", "2020 2030 2050") are not phone numbers.
_YEARS = re.compile(r"(?:(?:19|20)\d\d[\s/-]*)+")


@dataclass(frozen=True)
class Flag:
    """One thing found: its ``kind`` (:data:`FLAG_KINDS`), the matched text and
    where it starts and ends in the screened text."""

    kind: str
    match: str
    start: int
    end: int


def _fold(text: str) -> str:
    """Lower case without accents, the same length as ``text`` when possible."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c)) or ch
        out.append(base[0].lower() if len(base) >= 1 else ch.lower())
    return "".join(out)


def _name_parts(names: Iterable[str]) -> set[str]:
    """The full names and their words of at least three letters (a given name
    or a surname alone also identifies someone)."""
    parts: set[str] = set()
    for name in names:
        folded = " ".join(_fold(name or "").split())
        if len(folded) >= 3:
            parts.add(folded)
        parts.update(w for w in re.split(r"[\s\-']+", folded) if len(w) >= 3)
    return parts


def screen_text(text: str, names: Iterable[str] = ()) -> list[Flag]:
    """The flags in ``text``, in the order they occur.

    Parameters
    ----------
    text : the comment or reason.
    names : the registered names of the panel's members; a flag is raised for
        a full name or any of its words of three letters or more, matched as
        whole words, case and accents ignored.

    Returns
    -------
    list of :class:`Flag`, sorted by position; a digit run inside an e-mail
    address or a web address is not flagged again as a phone number.
    """
    text = text or ""
    flags: list[Flag] = []
    taken: list[tuple[int, int]] = []

    def add(kind, m):
        if any(m.start() < end and start < m.end() for start, end in taken):
            return
        taken.append((m.start(), m.end()))
        flags.append(Flag(kind, m.group(0), m.start(), m.end()))

    for m in _EMAIL.finditer(text):
        add("email", m)
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?)]'\"":
            end -= 1
        add("url", _Span(text, m.start(), end))
    for m in _PHONE.finditer(text):
        if sum(ch.isdigit() for ch in m.group(0)) >= 7 and not _YEARS.fullmatch(m.group(0)):
            add("phone", m)
    folded = _fold(text)
    if len(folded) == len(text):
        for part in sorted(_name_parts(names), key=len, reverse=True):
            for m in re.finditer(r"(?<!\w)" + re.escape(part) + r"(?!\w)", folded):
                add("name", _Span(text, m.start(), m.end()))
    return sorted(flags, key=lambda f: f.start)


class _Span:
    """A match-like view of ``text[start:end]`` (names are matched on the folded text)."""

    def __init__(self, text: str, start: int, end: int):
        self._text, self._start, self._end = text, start, end

    def start(self):
        return self._start

    def end(self):
        return self._end

    def group(self, _n=0):
        return self._text[self._start:self._end]
