"""The read model of a closed round's inference: uncertainty, attrition bias,
opinion change, translation flags and the stopping recommendation.

Computed from the counted ratings of the round and the earlier closed
rounds (:mod:`rounds.adapter`) with :mod:`analysis.uncertainty`,
:mod:`analysis.attrition`, :mod:`analysis.opinion_change` and
:mod:`analysis.strata`. A frozen round's figures never change, so neither
does this: it is computed once (right after the close, with the charts:
:mod:`delphi.exports.prerender`) and stored in the database, keyed by round,
the policy's ``min_cell`` and the freeze stamps of the rounds it reads
(:mod:`rounds.computations`); every worker reads it with one query, then
from its memory. The bootstrap and permutation seeds are derived from the
study, round and criterion (:func:`seed_for`), so the same round always
shows the same intervals, in every worker and in the report.

The dashboard (``delphi.dashboard_inference``) and the report read
:func:`round_inference`; nothing here writes but the store of computed
results, on its own connections.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field

import numpy as np
from sqlalchemy import func, select

from analysis.attrition import attrition, carried_forward
from analysis.opinion_change import opinion_change
from analysis.uncertainty import (
    DEFAULT_RESAMPLES,
    bootstrap_items,
    bootstrap_w,
    w_change,
)
from delphi.core.database import db
from delphi.core.errors import StateError
from delphi.core.jsonable import jsonable
from delphi.core.models import ItemComment, Rating, Response, Round, RoundStatus
from delphi.core.policy import DEFAULT_POLICY, Policy
from rounds import computations, results
from rounds.adapter import COUNTED, RoundData, load_rounds, round_item_kinds
from rounds.stopping import (
    item_recommendation,
    recommendation_label,
    recommendation_reason_text,
    round_recommendation,
    stable_share,
)
from rounds.studies import agree_band, consensus_rule
from rounds.subgroups import translation_flags

__all__ = ["CONFIDENCE", "InferenceItem", "RoundInference", "round_inference", "seed_for"]

CONFIDENCE = 0.95
_PURPOSES = {"items": 1, "w": 2, "w_change": 3}


def seed_for(study_id: int, round_id: int, criterion: str, purpose: str) -> list[int]:
    """The seed of one computation: ``[study_id, round_id, crc32(criterion), purpose]``
    (a :class:`numpy.random.SeedSequence` entropy list)."""
    return [int(study_id), int(round_id), zlib.crc32(criterion.encode("utf-8")),
            _PURPOSES[purpose]]


@dataclass(frozen=True)
class InferenceItem:
    """One rating item × criterion of the round.

    * ``uncertainty``: ``{n, agreement, agreement_low, agreement_high,
      disagreement(_low/_high), median(_low/_high), iqr(_low/_high), verdict,
      confident, reason}`` (bounds None with ``reason`` "too few answers"
      below the study's minimum n; ``confident``: "consensus with 95 %
      confidence", None when there is no consensus to confirm);
    * ``attrition``: None in a first round, else ``{n_stayers, n_dropouts,
      agreement_stayers, agreement_dropouts, difference, ci_low, ci_high,
      pvalue, reason}`` (previous round's ratings; difference = dropouts −
      stayers) and ``carried``: ``{verdict, verdict_carried, n, n_carried,
      agreement, agreement_carried, holds, flagged}``;
    * ``opinion``: None in a first round, else the row of
      :func:`analysis.opinion_change.opinion_change` (moved, toward, away,
      sign_pvalue, conformity, conformity_ratio, shift_rho, shift_pvalue,
      shift_slope, n_reasons, moved_reasons, moved_no_reasons,
      reasons_pvalue, reason);
    * ``translation``: :func:`analysis.strata.translation_flag` or None;
    * ``recommendation``: :func:`rounds.stopping.item_recommendation` with
      ``label`` and each reason's ``message`` in the reader's language.
    """

    item_id: int
    code: str
    text: str
    criterion: str
    verdict: str
    uncertainty: dict
    attrition: dict | None
    carried: dict | None
    opinion: dict | None
    translation: dict | None
    recommendation: dict


@dataclass(frozen=True)
class RoundInference:
    """What :func:`round_inference` returns.

    ``items``: :class:`InferenceItem` in the round's item order, then
    criteria; ``concordance``: per criterion ``{"w", "low", "high",
    "n_raters", "reason", "change": {w_before, w_after, change, pvalue,
    n_raters, exact, n_permutations, reason} or None}``; ``recommendation``:
    :func:`rounds.stopping.round_recommendation` with ``label`` and messages;
    ``previous_round``: the number of the round compared with (None in the
    first); ``method``: ``{"n_resamples", "confidence", "bootstrap",
    "seeds"}``; ``flags``: counts of items flagged for attrition and translation.
    """

    round: int
    previous_round: int | None
    items: list[InferenceItem]
    concordance: dict
    recommendation: dict
    method: dict
    flags: dict = field(default_factory=dict)


def _rating_ids(rnd: Round) -> list[int]:
    return [i for i, kind, _p in round_item_kinds(rnd.id) if kind == "rating"]


def _reasons_given(previous: Round, current: Round) -> set[tuple[int, int, str | None]]:
    """``(panellist_id, item_id, criterion)`` who gave reasons: a comment on the
    item in the previous round (criterion None: every criterion) or a reason
    for their rating in this one."""
    out: set = set()
    for pid, item_id in db.session.execute(
            select(Response.panellist_id, ItemComment.item_id)
            .join(ItemComment, ItemComment.response_id == Response.id)
            .where(Response.round_id == previous.id, COUNTED,
                   func.length(func.trim(ItemComment.text)) > 0)):
        out.add((int(pid), int(item_id), None))
    for pid, item_id, criterion in db.session.execute(
            select(Response.panellist_id, Rating.item_id, Rating.criterion)
            .join(Rating, Rating.response_id == Response.id)
            .where(Response.round_id == current.id, COUNTED, Rating.reason.is_not(None),
                   func.length(func.trim(Rating.reason)) > 0)):
        out.add((int(pid), int(item_id), criterion))
    return out


def _columns(data: RoundData, item_ids: list[int]) -> np.ndarray:
    pos = {i: j for j, i in enumerate(data.item_ids)}
    return np.array([pos[i] for i in item_ids], dtype=np.intp)


def _records(frame) -> dict:
    return {key: jsonable(value) for key, value in frame.to_dict(orient="index").items()}


def _compute(rnd: Round, policy: Policy, tables: dict | None) -> dict:
    study = rnd.study
    criteria = list(study.criteria or [])
    scale = (1, study.scale_points)
    band = agree_band(study)
    rule = consensus_rule(study)
    quantiles = study.quantile_method
    earlier = [r for r in results.closed_rounds(study) if r.number < rnd.number]
    previous = earlier[-1] if earlier else None
    specs = {r.id: _rating_ids(r) for r in [*earlier, rnd]}
    data = load_rounds(specs, criteria)
    now = data[rnd.id]
    rows = [r for r in results.item_rows(rnd) if r.kind == "rating"]
    frozen = {(r.item_id, r.criterion): r for r in rows}
    prev_rows = {(r.item_id, r.criterion): r for r in results.item_rows(previous)} \
        if previous else {}
    stats = results.round_statistics(rnd)
    stability_map = (stats.stability or {}) if stats else {}
    flags = translation_flags(tables) if tables else {}
    reasons_given = _reasons_given(previous, rnd) if previous else set()

    per_item: dict[tuple[int, str], dict] = {}
    concordance: dict[str, dict] = {}
    for criterion in criteria:
        matrix = now.matrices.get(criterion)
        if matrix is None:
            continue
        unc = _records(bootstrap_items(
            matrix, scale=scale, agree=band, quantiles=quantiles, items=now.item_ids, rule=rule,
            min_n=study.min_n, n_resamples=DEFAULT_RESAMPLES, confidence=CONFIDENCE,
            seed=seed_for(study.id, rnd.id, criterion, "items")))
        bw = bootstrap_w(matrix, n_resamples=DEFAULT_RESAMPLES, confidence=CONFIDENCE,
                         min_n=study.min_n, seed=seed_for(study.id, rnd.id, criterion, "w"))
        entry = {"w": bw.w, "low": bw.low, "high": bw.high, "n_raters": bw.n_raters,
                 "reason": bw.reason, "change": None}
        attr = carried = opinion = {}
        if previous is not None:
            before = data[previous.id]
            common = [i for i in now.item_ids if i in set(before.item_ids)]
            b_cols, a_cols = _columns(before, common), _columns(now, common)
            b_matrix = before.matrices[criterion]
            stayed = np.isin(before.panellist_ids, now.panellist_ids)
            attr = _records(attrition(b_matrix[:, b_cols], stayed, scale=scale, agree=band,
                                      confidence=CONFIDENCE, items=common, min_n=None))
            # The dropouts' last answers, from the latest earlier round that has them.
            dropouts = np.setdiff1d(np.unique(np.concatenate(
                [data[r.id].panellist_ids for r in earlier])), now.panellist_ids)
            last = np.full((dropouts.shape[0], len(now.item_ids)), np.nan)
            for r in earlier:
                d = data[r.id]
                row_of = {int(p): i for i, p in enumerate(d.panellist_ids)}
                pos = {i: j for j, i in enumerate(d.item_ids)}
                for di, pid in enumerate(dropouts):
                    if int(pid) not in row_of:
                        continue
                    for j, item_id in enumerate(now.item_ids):
                        if item_id in pos:
                            value = d.matrices[criterion][row_of[int(pid)], pos[item_id]]
                            if not np.isnan(value):
                                last[di, j] = value
            carried = _records(carried_forward(matrix, last, scale=scale, agree=band,
                                               quantiles=quantiles, rule=rule, min_n=study.min_n,
                                               items=now.item_ids))
            # Opinion change of the panellists in both rounds.
            both, b_rows, a_rows = np.intersect1d(before.panellist_ids, now.panellist_ids,
                                                  assume_unique=True, return_indices=True)
            b_pair = b_matrix[np.ix_(b_rows, b_cols)]
            a_pair = matrix[np.ix_(a_rows, a_cols)]
            medians = [getattr(prev_rows.get((i, criterion)), "median", None) for i in common]
            medians = np.array([np.nan if v is None else v for v in medians], dtype=float)
            gave = np.array([[(int(p), int(i), None) in reasons_given
                              or (int(p), int(i), criterion) in reasons_given
                              for i in common] for p in both], dtype=bool).reshape(len(both),
                                                                                    len(common))
            opinion = _records(opinion_change(b_pair, a_pair, medians, gave_reasons=gave,
                                              items=common, min_n=study.min_n))
            change = w_change(b_pair, a_pair, n_permutations=DEFAULT_RESAMPLES,
                              seed=seed_for(study.id, rnd.id, criterion, "w_change"))
            entry["change"] = jsonable(asdict(change))
        concordance[criterion] = entry
        for item_id in now.item_ids:
            per_item[(item_id, criterion)] = {
                "uncertainty": unc.get(item_id, {}), "attrition": attr.get(item_id),
                "carried": carried.get(item_id), "opinion": opinion.get(item_id)}

    items = []
    for (item_id, criterion), row in frozen.items():
        got = per_item.get((item_id, criterion), {})
        unc = got.get("uncertainty") or {}
        carried = got.get("carried")
        rec = item_recommendation(
            row.verdict, row.details,
            stability=stability_map.get(f"{item_id}:{criterion}"),
            confident=unc.get("confident"), agreement=row.agreement, iqr=row.iqr,
            agreement_low=unc.get("agreement_low") if row.verdict != "consensus_out"
            else unc.get("disagreement_low"),
            iqr_high=unc.get("iqr_high"), attrition_flag=bool(carried and carried.get("flagged")))
        items.append({"item_id": item_id, "criterion": criterion, "verdict": row.verdict,
                      "uncertainty": unc, "attrition": got.get("attrition"), "carried": carried,
                      "opinion": got.get("opinion"),
                      "translation": jsonable(flags.get((item_id, criterion))),
                      "recommendation": rec})
    w_changes = {c: (v.get("change") or {}) | {"w": v.get("w")} for c, v in concordance.items()}
    recommendation = round_recommendation(study, rnd.number, [i["recommendation"] for i in items],
                                          stable_share(stability_map), w_changes)
    return {"items": items, "concordance": concordance, "recommendation": recommendation,
            "previous_round": previous.number if previous else None}


def _in_words(rec: dict) -> dict:
    return {**rec, "label": recommendation_label(rec["code"]),
            "reasons": [{**r, "message": recommendation_reason_text(r)} for r in rec["reasons"]]}


def round_inference(rnd: Round, *, policy: Policy = DEFAULT_POLICY, language: str | None = None,
                    subgroup_tables: dict | None = None) -> RoundInference:
    """The inference of a closed round (``StateError`` otherwise); see
    :class:`RoundInference` and :class:`InferenceItem` for what it holds.

    ``subgroup_tables`` (:func:`rounds.subgroups.subgroup_tables` of the round,
    e.g. the dashboard's cached ones) give the translation flags; without them
    ``translation`` is None. Messages and labels are in the current language;
    item texts in ``language``.
    """
    if rnd.status is not RoundStatus.closed or not results.is_frozen(rnd):
        raise StateError("The inference of a round is computed once it has closed.")
    stamp = computations.stamp_of(results.closed_rounds(rnd.study, upto=rnd.number), rnd.study)
    key = (f"inference:min_cell={policy.min_cell}"
           f":translation={int(subgroup_tables is not None)}")
    cached = computations.stored(rnd, key, stamp, lambda: _compute(rnd, policy, subgroup_tables))
    texts = {(r.item_id, r.criterion): r for r in results.item_rows(rnd, language=language)}
    items = []
    for entry in cached["items"]:
        row = texts.get((entry["item_id"], entry["criterion"]))
        items.append(InferenceItem(
            item_id=entry["item_id"], code=row.code if row else str(entry["item_id"]),
            text=row.text if row else "", criterion=entry["criterion"], verdict=entry["verdict"],
            uncertainty=entry["uncertainty"], attrition=entry["attrition"],
            carried=entry["carried"], opinion=entry["opinion"], translation=entry["translation"],
            recommendation=_in_words(entry["recommendation"])))
    flags = {"attrition": sum(1 for i in items if i.carried and i.carried.get("flagged")),
             "translation": sum(1 for i in items if i.translation and i.translation.get("flagged")),
             "confident": sum(1 for i in items if i.uncertainty.get("confident") is True)}
    return RoundInference(
        round=rnd.number, previous_round=cached["previous_round"], items=items,
        concordance=cached["concordance"], recommendation=_in_words(cached["recommendation"]),
        method={"n_resamples": DEFAULT_RESAMPLES, "confidence": CONFIDENCE,
                "bootstrap": "percentile, panellists resampled",
                "seeds": "derived from study id, round id and criterion"},
        flags=flags)
