"""The adapter: a round's counted ratings as the arrays ``analysis`` takes.

This is the only place that turns answers into arrays (closing a round, the
dashboard's subgroups and every other reader use it), and it holds the one
definition of a counted answer: a response that was submitted, by a
panellist on the panel, when its round closed (:func:`mark_counted`, called
by ``close_round``; ``Response.counted``). The ratings are read with
one query that returns one packed string of ratings per response (no ORM
objects, no row per rating), and the matrices are built with numpy index
arithmetic, with no Python loop per rating.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import BigInteger, String, case, cast, func, select, update

from delphi.core.database import db
from delphi.core.models import (
    Item,
    Panellist,
    PanellistStatus,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
)
from rounds.kinds import NO_CRITERION


@dataclass(frozen=True)
class RoundData:
    """The submitted ratings of one round.

    ``matrices[c]`` has rows = ``panellist_ids`` (those with a submitted
    response and at least one rating, ascending id), columns = ``item_ids``
    (the round's items in their order); NaN = "cannot rate" or missing.
    """

    round_id: int
    panellist_ids: np.ndarray
    item_ids: list[int]
    criteria: list[str]
    matrices: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_panellists(self) -> int:
        return int(self.panellist_ids.shape[0])


def mark_counted(round: Round) -> int:
    """Mark the responses that count in ``round`` as it closes: submitted, by a
    panellist active now. Returns how many. Readers of closed rounds take only
    these (:data:`COUNTED`), so withdrawals after the close change nothing."""
    active = select(Panellist.id).where(Panellist.study_id == round.study_id,
                                       Panellist.status == PanellistStatus.active)
    result = db.session.execute(
        update(Response)
        .where(Response.round_id == round.id, Response.status == ResponseStatus.submitted,
               Response.panellist_id.in_(active))
        .values(counted=True).execution_options(synchronize_session=False))
    return result.rowcount or 0


#: The condition on ``Response`` of a counted answer (see :func:`mark_counted`).
COUNTED = Response.counted.is_(True)


def round_item_ids(round_id: int) -> list[int]:
    return list(db.session.scalars(
        select(RoundItem.item_id).where(RoundItem.round_id == round_id).order_by(RoundItem.position,
                                                                                RoundItem.id)))


#: Slots of a packed rating: ``(item_id * criteria_slots + criterion) * 256 + value``
#: (values are scale points, 1..9, well below 255).
_VALUE_SLOTS = 256
_NO_VALUE = _VALUE_SLOTS - 1  # "cannot rate" (NULL)


def ratings_query(round_ids, criteria):
    """The one query of the counted ratings: one row per counted response,
    ``(round_id, panellist_id, packed)`` where the database packs the response's
    ratings into one string of integers (see :func:`read_ratings`). The criterion
    is its index in ``criteria`` (a SQL ``CASE``; ``len(criteria)`` for any other).
    Withdrawn panellists are filtered out afterwards (see :func:`load_rounds`)."""
    slots = len(criteria) + 1  # the last one: a criterion no longer in the study
    code = case({c: i for i, c in enumerate(criteria)}, value=Rating.criterion,
                else_=len(criteria))
    packed = ((cast(Rating.item_id, BigInteger) * slots + code) * _VALUE_SLOTS
              + func.coalesce(Rating.value, _NO_VALUE))
    return (
        select(Response.round_id, Response.panellist_id,
               func.aggregate_strings(cast(packed, String), ","))
        .join(Rating, Rating.response_id == Response.id)
        .where(Response.round_id.in_(list(round_ids)), COUNTED, Rating.criterion != NO_CRITERION)
        .group_by(Response.id, Response.round_id, Response.panellist_id)
    )


def read_ratings(round_ids, criteria) -> np.ndarray:
    """The submitted ratings of ``round_ids`` as ``(round_id, panellist_id, item_id,
    criterion_index, value)`` rows of a float array (value NaN = "cannot rate",
    criterion -1 = not one of ``criteria``), the input of :func:`build_round_data`.

    Read as one row per response whose ratings the database packs into one
    string of integers (:func:`ratings_query`): 2,000 rows to fetch instead of
    400,000, which is most of the cost of the read (no Python object per rating).
    """
    criteria = list(criteria)
    slots = len(criteria) + 1
    rows = db.session.execute(ratings_query(round_ids, criteria)).all()
    if not rows:
        return np.zeros((0, 5))
    per_row = np.fromiter((text.count(",") + 1 for _r, _p, text in rows), np.int64, len(rows))
    numbers = np.array(",".join(text for _r, _p, text in rows).split(","), dtype=np.int64)
    if numbers.shape[0] != per_row.sum():
        raise ValueError("packed ratings could not be read back")
    value = (numbers % _VALUE_SLOTS).astype(float)
    value[value == _NO_VALUE] = np.nan
    rest = numbers // _VALUE_SLOTS
    criterion = rest % slots
    criterion[criterion == len(criteria)] = -1
    table = np.empty((numbers.shape[0], 5))
    table[:, 0] = np.repeat(np.fromiter((r for r, _p, _t in rows), np.int64, len(rows)), per_row)
    table[:, 1] = np.repeat(np.fromiter((p for _r, p, _t in rows), np.int64, len(rows)), per_row)
    table[:, 2] = rest // slots
    table[:, 3] = criterion
    table[:, 4] = value
    return table


def load_rounds(specs: dict[int, list[int]], criteria: list[str]) -> dict[int, RoundData]:
    """Matrices of several rounds (``{round_id: item_ids}``) from one query of
    their counted ratings."""
    criteria = list(criteria)
    return build_round_data(read_ratings(specs.keys(), criteria), specs, criteria)


def build_round_data(rows, specs: dict[int, list[int]], criteria: list[str], *,
                     exclude_panellists=()) -> dict[int, RoundData]:
    """Turn ``(round_id, panellist_id, item_id, criterion_index, value)`` rows into
    :class:`RoundData` per round (vectorised; ``value`` None = NaN)."""
    n = len(rows)
    criteria = list(criteria)
    out: dict[int, RoundData] = {}
    if n:
        # One C-level conversion of all rows; None ("cannot rate") becomes NaN.
        # Ids are exact in float64 (below 2**53).
        table = np.asarray(rows, dtype=float).reshape(n, 5)
        rid, pid, iid, crit = (table[:, j].astype(np.int64) for j in range(4))
        val = table[:, 4]
        if len(exclude_panellists):
            keep = ~np.isin(pid, np.asarray(list(exclude_panellists), dtype=np.int64))
            rid, pid, iid, crit, val = rid[keep], pid[keep], iid[keep], crit[keep], val[keep]
            n = int(rid.shape[0])
    for round_id, item_ids in specs.items():
        item_ids = [int(i) for i in item_ids]
        k = len(item_ids)
        if not n:
            out[round_id] = RoundData(round_id, np.zeros(0, dtype=np.int64), item_ids, criteria,
                                      {c: np.full((0, k), np.nan) for c in criteria})
            continue
        mask = rid == round_id
        panellists, row = np.unique(pid[mask], return_inverse=True)
        m = panellists.shape[0]
        cube = np.full((len(criteria), m, k), np.nan)
        if k:
            order = np.argsort(np.asarray(item_ids, dtype=np.int64), kind="stable")
            sorted_items = np.asarray(item_ids, dtype=np.int64)[order]
            items_here = iid[mask]
            pos = np.searchsorted(sorted_items, items_here)
            pos_clipped = np.minimum(pos, k - 1)
            known = (pos < k) & (sorted_items[pos_clipped] == items_here)
            col = order[pos_clipped]
            c_here = crit[mask]
            keep = known & (c_here >= 0)
            cube[c_here[keep], row[keep], col[keep]] = val[mask][keep]
        out[round_id] = RoundData(round_id, panellists, item_ids, criteria,
                                  {c: cube[i] for i, c in enumerate(criteria)})
    return out


def round_matrices(round: Round) -> RoundData:
    """The round's counted ratings of its rating items, one matrix per criterion
    of the study (empty before the round closes)."""
    rating_ids = [i for i, kind, _p in round_item_kinds(round.id) if kind == "rating"]
    return load_rounds({round.id: rating_ids},
                       list(round.study.criteria or []))[round.id]


def round_item_kinds(round_id: int) -> list[tuple[int, str, dict]]:
    """The round's items in order as ``(item_id, kind, params)``."""
    return [tuple(row) for row in db.session.execute(
        select(RoundItem.item_id, Item.kind, Item.params).join(Item, Item.id == RoundItem.item_id)
        .where(RoundItem.round_id == round_id).order_by(RoundItem.position, RoundItem.id))]


def read_answers(round_id: int, item_ids) -> dict[int, list]:
    """The counted answers of the non-rating items ``item_ids`` of a round:
    ``{item_id: [answer, ...]}`` (one per counted response that answered it;
    None = cannot answer), in no particular order.

    Read as one row per item whose answers the database packs into one JSON
    array text (``aggregate_strings`` of each answer's JSON), parsed once: no
    Python object per answer row on the way."""
    item_ids = [int(i) for i in item_ids]
    out: dict[int, list] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    text = func.coalesce(cast(Rating.answer, String), "null")
    for item_id, packed in db.session.execute(
        select(Rating.item_id, func.aggregate_strings(text, ","))
        .join(Response, Response.id == Rating.response_id)
        .where(Response.round_id == round_id, COUNTED, Rating.criterion == NO_CRITERION,
               Rating.item_id.in_(item_ids))
        .group_by(Rating.item_id)):
        out[item_id] = json.loads(f"[{packed}]")
    return out
