"""Removing contact details from free text: email addresses, phone numbers, URLs.

Regular expressions, applied in this order (an email's domain is not left
behind as a URL):

* email: ``local@domain.tld``, also written ``local [at] domain [dot] tld``
  or ``local (at) domain (dot) tld``;
* URL: anything starting ``http://``, ``https://``, ``ftp://`` or ``www.``,
  and bare domains with a common top-level domain (``example.org/page``);
* phone: a run of digits with spaces, dots, dashes, slashes or brackets
  between them, holding at least 8 digits when it starts with ``+``, ``00``
  or ``(``, at least 9 otherwise — so years (2030), year ranges
  (2020-2030), percentages and "4 per 1000" stay.

Each match is replaced by a marker (``[email removed]``, ``[URL removed]``,
``[phone removed]``). Scrubbing is a safety net, not a guarantee: names in
free text are not detected.
"""
from __future__ import annotations

import re

EMAIL_MARK = "[email removed]"
URL_MARK = "[URL removed]"
PHONE_MARK = "[phone removed]"

_DOT = r"(?:\.|\s*\[\s*dot\s*\]\s*|\s*\(\s*dot\s*\)\s*|\s+dot\s+)"
EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*" + r"(?:@|\s*\[\s*at\s*\]\s*|\s*\(\s*at\s*\)\s*)"
    + r"[A-Za-z0-9\-]+(?:" + _DOT + r"[A-Za-z0-9\-]+)*" + _DOT + r"[A-Za-z]{2,24}\b",
    re.IGNORECASE,
)
_TLDS = ("com|org|net|int|edu|gov|mil|info|biz|io|eu|fr|de|uk|es|it|nl|be|ch|at|ca|us|au|nz|"
         "br|ar|mx|cl|co|pe|in|cn|jp|kr|za|ke|ng|sn|ma|tn|dz|gh|et|ru|pl|pt|se|no|dk|fi|ie|"
         "gr|tr|id|ph|vn|th|my|sg|pk|bd|lk|np|ly|me|tv|app|dev|ngo|africa")
URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"')\]]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
PHONE_CANDIDATE = re.compile(r"(?:\+|\b00|\()?\d[\d\s().\-/]{4,}\d")


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    prefixed = text.startswith(("+", "00", "("))
    if digits >= (8 if prefixed else 9):
        return PHONE_MARK
    return text


def scrub(text: str | None) -> str:
    """``text`` with email addresses, URLs and phone numbers replaced by markers."""
    if not text:
        return ""
    text = EMAIL.sub(EMAIL_MARK, text)
    text = URL.sub(URL_MARK, text)
    return PHONE_CANDIDATE.sub(_phone, text)
