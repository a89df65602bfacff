"""The confirmation step of irreversible actions, without JavaScript.

An action's POST (or a GET of the same URL) without ``confirm=yes`` shows
:func:`confirm_page`: what the action will do in numbers and any warnings,
both from :mod:`rounds.safeguards`, and a form that POSTs the same fields
back to the same URL with ``confirm=yes``. Only that second POST acts, so
the audit row of the action is written once, by its service. A ``Cancel``
link goes back without changing anything.

The JSON API does not use this: its callers name what they do explicitly.
"""
from __future__ import annotations

from flask import render_template, request

from delphi.forms import EmptyForm

__all__ = ["confirm_page", "confirmed", "warnings_block"]

#: The value of the ``confirm`` field that makes an action go ahead.
CONFIRM = "yes"


def confirmed() -> bool:
    """Whether this request is the confirmed POST of an action."""
    return request.method == "POST" and request.form.get("confirm") == CONFIRM


def confirm_page(*, title: str, question: str, safeguard, button: str, cancel: str,
                 fields: dict[str, str] | None = None, action: str | None = None,
                 danger: bool = True, status: int = 200):
    """The confirmation page (``confirm/confirm.html``): ``safeguard`` is a
    :class:`rounds.safeguards.Safeguard`; ``fields`` are passed on as hidden
    inputs (what the first form asked: a reason, a deadline, the ticked
    panellists; a list value becomes repeated inputs); ``action``: where the
    confirmed form posts (default: this URL)."""
    hidden = []
    for name, value in (fields or {}).items():
        for one in (value if isinstance(value, (list, tuple, set)) else [value]):
            if one is not None and one != "":
                hidden.append((name, str(one)))
    return render_template(
        "confirm/confirm.html", title=title, question=question, safeguard=safeguard,
        button=button, cancel=cancel, hidden=hidden, action=action or request.path,
        danger=danger, confirm_value=CONFIRM, form=EmptyForm()), status


def warnings_block(safeguard) -> dict:
    """What ``confirm/_warnings.html`` needs, for a page that shows the warnings
    before the action (the draft round page, the panel)."""
    return {"safeguard_warnings": list(getattr(safeguard, "warnings", []) or [])}
