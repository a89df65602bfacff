"""The words of the Delphi process, in the reader's language: one label per
verdict and per status, used by every page, the report and the exports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: What a verdict means for an item.
VERDICT_LABELS = {
    "consensus_in": _l("Consensus to include"),
    "consensus_out": _l("Consensus to exclude"),
    "no_consensus": _l("No consensus"),
    "insufficient_n": _l("Too few responses"),
}

#: The states of studies, rounds and responses.
STATUS_LABELS = {
    "draft": _l("draft"), "running": _l("running"), "ended": _l("ended"), "open": _l("open"),
    "closed": _l("closed"), "submitted": _l("submitted"),
}


#: The kinds of round: one that rates items, or an open first round that collects proposals.
ROUND_KIND_LABELS = {"rating": _l("Rating round"), "open_ended": _l("Open-ended round")}


def round_kind_label(value: str | None) -> str:
    return str(ROUND_KIND_LABELS.get(value, value or ""))


def verdict_label(value: str | None) -> str:
    return str(VERDICT_LABELS.get(value, value or ""))


def status_label(value: str | None) -> str:
    return str(STATUS_LABELS.get(value, value or ""))


#: What became of an item when its round closed (``rounds.outcomes``).
OUTCOME_LABELS = {
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "carried": _l("Carried to the next round"),
    "reworded": _l("Reworded for the next round"),
    "dropped": _l("Not carried further"),
}


def outcome_label(value: str | None) -> str:
    return str(OUTCOME_LABELS.get(value, value or ""))
