"""What became of each item: the panellists' summary of a closed round and
the final list of an ended study (closing the loop, issue 12 part 5).

An item's outcome in a closed round (:data:`OUTCOMES`, labelled by
``rounds.vocabulary.outcome_label``) follows from its frozen verdicts
(``rounds.results.item_rows``) and the next round:

- ``accepted``: every criterion at consensus to include;
- ``rejected``: every criterion at consensus to exclude;
- ``reworded``: a reworded item (its lineage names this one) is in the next round;
- ``carried``: the item itself is in the next round;
- ``dropped``: none of these (e.g. the study stopped without consensus).

The group figures are the frozen ones; a criterion with fewer than
``min_cell`` answers shows no figures, as in the feedback.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Item, Round, RoundKind, RoundStatus
from delphi.core.policy import DEFAULT_POLICY
from rounds.results import ItemRow, item_rows

OUTCOMES = ("accepted", "rejected", "carried", "reworded", "dropped")


@dataclass(frozen=True)
class ItemOutcome:
    """One item of a closed round: its outcome and its rows (one per
    criterion; one with criterion ``""`` for the other question kinds).
    ``shown[i]`` says whether ``rows[i]``'s figures may be shown."""

    item_id: int
    code: str
    text: str
    kind: str
    round: int
    outcome: str
    rows: tuple[ItemRow, ...]
    shown: tuple[bool, ...]


def outcome_of(verdicts: list[str], *, carried: bool, reworded: bool) -> str:
    """The outcome of an item from its criteria's verdicts (pure)."""
    if verdicts and all(v == "consensus_in" for v in verdicts):
        return "accepted"
    if verdicts and all(v == "consensus_out" for v in verdicts):
        return "rejected"
    if reworded:
        return "reworded"
    return "carried" if carried else "dropped"


def _next_round_items(rnd: Round) -> set[int]:
    following = db.session.scalar(select(Round).where(
        Round.study_id == rnd.study_id, Round.number == rnd.number + 1))
    return {ri.item_id for ri in following.round_items} if following is not None else set()


def _reworded_from(study_id: int, targets: set[int]) -> set[int]:
    """The ids of items that an item in ``targets`` rewords."""
    if not targets:
        return set()
    out: set[int] = set()
    for lineage in db.session.scalars(select(Item.lineage).where(Item.study_id == study_id,
                                                                 Item.id.in_(targets))):
        out.update(int(i) for i in (lineage or {}).get("items") or [])
    return out


def round_outcomes(rnd: Round, *, language: str | None = None,
                   min_cell: int = DEFAULT_POLICY.min_cell) -> list[ItemOutcome]:
    """The outcome of every item of the closed round ``rnd``, in questionnaire
    order (``[]`` before it closes)."""
    if rnd.status is not RoundStatus.closed:
        return []
    rows = item_rows(rnd, language=language)
    following = _next_round_items(rnd)
    reworded = _reworded_from(rnd.study_id, following)
    by_item: dict[int, list[ItemRow]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    out = []
    for item_id, item_rows_ in by_item.items():
        first = item_rows_[0]
        outcome = outcome_of([r.verdict for r in item_rows_], carried=item_id in following,
                             reworded=item_id in reworded and item_id not in following)
        out.append(ItemOutcome(item_id, first.code, first.text, first.kind, rnd.number, outcome,
                               tuple(item_rows_), tuple(r.n >= min_cell and not r.too_few
                                                        for r in item_rows_)))
    return out


def final_list(study, *, language: str | None = None,
               min_cell: int = DEFAULT_POLICY.min_cell) -> list[ItemOutcome]:
    """Every item the panel rated, at the last closed round it was in, by item
    code: accepted, rejected, reworded (its new wording is listed too) or not
    carried further."""
    closed = list(db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.status == RoundStatus.closed,
        Round.kind == RoundKind.rating).order_by(Round.number)))
    last: dict[int, ItemOutcome] = {}
    for rnd in closed:
        for entry in round_outcomes(rnd, language=language, min_cell=min_cell):
            last[entry.item_id] = entry
    final_round = closed[-1].number if closed else None
    # Carried to a round that never closed: the study ended without it.
    return sorted((replace(e, outcome="dropped") if e.outcome == "carried" and e.round == final_round
                   else e for e in last.values()), key=lambda e: e.code)
