"""From a round's matrices to the statistics frozen at close (calls ``analysis``)."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from analysis import (
    choose_concordance,
    interpret_w,
    kendall_w,
    kendall_w_incomplete,
    rand_ucla,
    rand_ucla_verdicts,
    stability,
    summarize_items,
)
from delphi.core.jsonable import jsonable, to_float
from delphi.core.models import Study
from rounds.adapter import RoundData
from rounds.kinds import NO_CRITERION, consensus_settings, kind_of
from rounds.studies import agree_band, consensus_rule

_RULE_CONDITIONS = ("n_ok", "iqr_ok", "agreement_ok", "disagreement_ok", "median_ok")
_RAND_FIGURES = ("p30", "p70", "ipr", "iprcp", "asymmetry", "ipras", "di", "disagreement",
                 "classification")
_ITEM_NUMBERS = ("median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement")


def item_statistics(study: Study, data: RoundData) -> list[dict]:
    """One dict per item × criterion: the ``ItemStatistics`` columns (without ids
    of the round) with the verdict and its ``details``.

    Below the study's minimum n (0 < n < ``min_n``) ``details["too_few"]`` is
    True and the verdict is ``insufficient_n``: the readers of results
    (:func:`rounds.results.round_results`, the dashboard, the exports) show
    "too few answers" instead of a figure. The figures are still frozen, for
    the panellists' feedback, which has its own small-cell rule."""
    points = study.scale_points
    scale = (1, points)
    band = agree_band(study)
    rule = consensus_rule(study)
    rows: list[dict] = []
    for criterion in data.criteria:
        matrix = data.matrices[criterion]
        summary = summarize_items(matrix, scale=scale, agree=band, quantiles=study.quantile_method,
                                  items=data.item_ids)
        if rule is not None:
            verdicts = rule.evaluate(summary)
            details = {name: verdicts[name].to_numpy(dtype=object) for name in _RULE_CONDITIONS}
            extra_names = _RULE_CONDITIONS
        else:
            table = rand_ucla(matrix, quantiles=study.quantile_method, items=data.item_ids)
            verdicts = rand_ucla_verdicts(table, min_n=study.min_n)
            details = {name: table[name].to_numpy(dtype=object) for name in _RAND_FIGURES}
            details["n_ok"] = verdicts["n_ok"].to_numpy(dtype=object)
            extra_names = (*_RAND_FIGURES, "n_ok")
        verdict = verdicts["verdict"].to_numpy(dtype=object)
        count_columns = [f"count_{v}" for v in range(1, points + 1)]
        counts = summary[count_columns].to_numpy(dtype=np.int64)
        numbers = {name: summary[name].to_numpy(dtype=float) for name in _ITEM_NUMBERS}
        n = summary["n"].to_numpy(dtype=np.int64)
        n_missing = summary["n_missing"].to_numpy(dtype=np.int64)
        for j, item_id in enumerate(data.item_ids):
            too_few = 0 < int(n[j]) < study.min_n
            row_details = {name: jsonable(details[name][j]) for name in extra_names}
            row_details["too_few"] = too_few
            row = {
                "item_id": int(item_id), "criterion": criterion, "n": int(n[j]),
                "n_missing": int(n_missing[j]),
                **{name: to_float(values[j]) for name, values in numbers.items()},
                "counts": [int(c) for c in counts[j]],
                "verdict": "insufficient_n" if too_few else str(verdict[j]),
                "details": row_details,
            }
            rows.append(row)
    return rows


def concordance(data: RoundData, min_n: int | None = None) -> dict:
    """Kendall's W per criterion: every :class:`analysis.KendallResult` field
    (listwise; withheld with ``too_few`` below ``min_n``) and its Schmidt
    interpretation, the Skillings-Mack W for incomplete rankings beside it
    (``sm_w``, ``sm_statistic``, ``sm_df``, ``sm_pvalue``, ``sm_n_raters``,
    ``sm_n_dropped``, ``sm_reason``, ``sm_too_few``, ``sm_interpretation``)
    and ``w_default``, the one shown first (:func:`analysis.choose_concordance`)."""
    out = {}
    for criterion in data.criteria:
        matrix = data.matrices[criterion]
        result = kendall_w(matrix, min_n=min_n)
        incomplete = kendall_w_incomplete(matrix, min_n=min_n)
        entry = jsonable(asdict(result))
        entry["interpretation"] = interpret_w(result.w)
        for name, value in asdict(incomplete).items():
            if name in ("w", "statistic", "df", "pvalue", "n_raters", "n_dropped", "reason", "too_few"):
                entry[f"sm_{name}"] = jsonable(value)
        entry["sm_interpretation"] = interpret_w(incomplete.w)
        answering = int((~np.isnan(matrix)).any(axis=1).sum()) if matrix.size else 0
        entry["w_default"] = choose_concordance(result, incomplete, answering, min_n)
        out[criterion] = entry
    return out


def round_stability(study: Study, before: RoundData, after: RoundData) -> dict:
    """Stability against the previous round, per ``"<item_id>:<criterion>"``, on
    the panellists who submitted in both rounds and the items in both."""
    common_p, b_rows, a_rows = np.intersect1d(before.panellist_ids, after.panellist_ids,
                                              assume_unique=True, return_indices=True)
    b_pos = {item: j for j, item in enumerate(before.item_ids)}
    items = [item for item in after.item_ids if item in b_pos]
    if not items:
        return {}
    a_cols = np.array([after.item_ids.index(i) for i in items], dtype=np.intp)
    b_cols = np.array([b_pos[i] for i in items], dtype=np.intp)
    out = {}
    for criterion in after.criteria:
        if criterion not in before.matrices:
            continue
        b = before.matrices[criterion][np.ix_(b_rows, b_cols)]
        a = after.matrices[criterion][np.ix_(a_rows, a_cols)]
        frame = stability(b, a, agree=agree_band(study), scale=(1, study.scale_points), items=items,
                          min_n=study.min_n)
        records = frame.to_dict(orient="index")
        for item_id, record in records.items():
            out[f"{int(item_id)}:{criterion}"] = jsonable(record)
    return out


def kind_statistics(study: Study, items: list[tuple[int, str, dict]], answers: dict[int, list],
                    previous: dict[int, dict] | None = None) -> list[dict]:
    """One ``ItemStatistics`` dict per non-rating item (criterion ``""``), from its
    kind's registry entry (``rounds.kinds``): ``items`` are ``(item_id, kind,
    params)``, ``answers`` the counted answers per item (``rounds.adapter.read_answers``),
    ``previous`` the items' frozen ``details`` of the previous round."""
    settings = consensus_settings(study.kind_consensus)
    rows = []
    for item_id, kind, params in items:
        if kind == "rating":
            continue
        row = kind_of(kind).summarize(params, answers.get(item_id, []), min_n=study.min_n,
                                      consensus=settings[kind], quantiles=study.quantile_method,
                                      previous=(previous or {}).get(item_id))
        rows.append({"item_id": int(item_id), "criterion": NO_CRITERION, **row,
                     "details": jsonable(row["details"])})
    return rows
