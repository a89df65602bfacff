"""Feedback snapshots: what a carried item shows the panel in the next round.

A study may also split the feedback of its rating items by a panellist
attribute (``Study.feedback_strata``: stakeholder group, role or region;
:func:`strata_feedback`). The groups' figures come from
:func:`analysis.subgroups`, whose primary and complementary suppression
(``analysis.suppression``) is the one rule: a group with fewer than
``min_cell`` ratings is hidden, and so is the smallest other group when only
one would be hidden, so the whole panel's figures minus the groups shown
never give a hidden one.
"""
from __future__ import annotations

import math

import analysis
from delphi.core.models import Round
from delphi.core.policy import DEFAULT_POLICY
from rounds.adapter import round_matrices
from rounds.kinds import NO_CRITERION, kind_of
from rounds.moderation import released_texts, shuffled
from rounds.panel_attributes import panel_attributes
from rounds.results import item_rows
from rounds.studies import agree_band

FEEDBACK_FIELDS = ("n", "median", "q1", "q3", "iqr", "counts", "agreement")


def snapshot_feedback(source: Round, item_ids, *,
                      min_cell: int = DEFAULT_POLICY.min_cell) -> dict[int, dict]:
    """``{item_id: feedback}`` from the frozen statistics of the closed round
    ``source``: ``{"round", "round_id", "criteria": {c: {n, median, q1, q3, iqr,
    counts, agreement}}, "comments": [texts], "reasons": [texts]}``
    (``reasons``: those given for a rating outside the previous IQR, every
    criterion together; both only as released by ``rounds.moderation``:
    all, or what a moderator approved or edited when the study moderates
    comments); an item of another question
    kind has ``"kind"`` and its kind's ``"figures"`` (``rounds.kinds``:
    ``Kind.feedback``) instead of criteria. Never a name. Items that were
    not in ``source`` get no entry.

    A criterion with fewer than ``min_cell`` ratings (the policy's
    ``min_cell``, default 5) is fed back as ``{"n": n, "suppressed": True}``
    with every figure None: with so few answers the distribution would tell panellists what the
    others rated. The frozen statistics themselves are kept whole for the
    moderators, and no outside-IQR reason is asked for such an item.

    When the study splits its feedback (``feedback_strata`` other than
    ``"none"``), a rating criterion that is shown also has ``"strata"``
    (:func:`strata_feedback`).
    """
    item_ids = [int(i) for i in item_ids]
    if not item_ids:
        return {}
    wanted = set(item_ids)
    stats = [row for row in item_rows(source) if row.item_id in wanted]
    released = released_texts(source, item_ids)
    out: dict[int, dict] = {}
    for row in stats:
        entry = out.setdefault(row.item_id, {
            "round": source.number, "round_id": source.id, "criteria": {},
            "comments": shuffled(source.id, row.item_id,
                                 released.get(row.item_id, {}).get("comments", [])),
            "reasons": shuffled(source.id, row.item_id,
                                released.get(row.item_id, {}).get("reasons", []), salt="reasons"),
        })
        if row.criterion == NO_CRITERION and row.kind != "rating":
            entry["kind"] = row.kind
            entry["figures"] = {"n": row.n, "suppressed": True} if row.n < min_cell \
                else kind_of(row.kind).feedback(row, params=row.params or {})
            continue
        if row.n < min_cell:
            entry["criteria"][row.criterion] = {
                "n": row.n, "median": None, "q1": None, "q3": None, "iqr": None,
                "counts": None, "agreement": None, "suppressed": True,
            }
            continue
        entry["criteria"][row.criterion] = {
            "n": row.n, "median": row.median, "q1": row.q1, "q3": row.q3, "iqr": row.iqr,
            "counts": list(row.counts), "agreement": row.agreement,
        }
    dimension = getattr(source.study, "feedback_strata", None) or "none"
    if dimension != "none":
        shown = [(i, c) for i, entry in out.items() for c, fb in entry["criteria"].items()
                 if not fb.get("suppressed")]
        for (item_id, criterion), strata in strata_feedback(
                source, dimension, shown, min_cell=min_cell).items():
            out[item_id]["criteria"][criterion]["strata"] = strata
    return out


def _figure(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        else float(value)


def strata_feedback(source: Round, dimension: str, pairs, *,
                    min_cell: int = DEFAULT_POLICY.min_cell) -> dict[tuple[int, str], dict]:
    """``{(item_id, criterion): {"dimension", "groups": [{"group", "n", "median",
    "q1", "q3", "suppressed"}]}}`` for the rating ``pairs`` of the closed round
    ``source``, split by the panellist attribute ``dimension``
    (``stakeholder_group``, ``role`` or ``region``; the group is its code, or a
    region's name, ``"unknown"`` when not known).

    A suppressed group shows None for every figure, its ``n`` too
    (:func:`analysis.subgroups`: primary cells under ``min_cell``, plus
    complementary cells, so no hidden group can be recovered from the whole
    panel's figures and the groups shown)."""
    pairs = list(pairs)
    if not pairs:
        return {}
    study = source.study
    arrays = round_matrices(source)
    attributes = panel_attributes(study)
    labels = [attributes.get(int(pid), {}).get(dimension) or "unknown"
              for pid in arrays.panellist_ids]
    out: dict[tuple[int, str], dict] = {}
    for criterion in {c for _i, c in pairs}:
        matrix = arrays.matrices.get(criterion)
        wanted = {i for i, c in pairs if c == criterion}
        if matrix is None or matrix.shape[0] == 0:
            continue
        result = analysis.subgroups(matrix, labels, min_cell=min_cell,
                                    scale=(1, study.scale_points), agree=agree_band(study),
                                    quantiles=study.quantile_method, items=list(arrays.item_ids))
        for rec in result.cells.to_dict("records"):
            if rec["item"] not in wanted:
                continue
            hidden = bool(rec["suppressed"])
            group = {"group": rec["group"], "suppressed": hidden,
                     **{name: None if hidden else _figure(rec[name])
                        for name in ("median", "q1", "q3")},
                     "n": None if hidden or rec["n"] is None else int(rec["n"])}
            out.setdefault((rec["item"], criterion),
                           {"dimension": dimension, "groups": []})["groups"].append(group)
    return out
