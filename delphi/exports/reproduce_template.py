#!/usr/bin/env python3
"""Recompute this export's statistics from its answers and check them.

Usage: ``python reproduce.py [FOLDER]`` (default: the folder of this script,
i.e. the unzipped export). Needs only pandas, numpy and scipy (and openpyxl
to read an XLSX export, as pandas.read_excel does).

For every closed round, item and criterion it recomputes n, median, q1, q3,
iqr, mean, sd, agreement and disagreement from the ``ratings`` table, with the
study's quantile method as written in ``codebook.json``; for every round and
criterion Kendall's W (tie-corrected), chi2, df, p and the number of raters.
It compares them with the exported ``item_statistics`` and
``round_statistics``, then checks the items of the other question kinds (see
below), and prints one line per check, "match" or "MISMATCH". Exit status: 0
when everything matches, 1 when something does not, 2 when the export has no
answers to recompute from (the statistics tier).

Definitions (the same as the engine's, written out here from their sources):

* quantiles, with x_(1) <= ... <= x_(n) the sorted ratings (Hyndman & Fan
  1996): ``type7`` h = (n - 1)p + 1; ``type6`` h = (n + 1)p clamped to
  [1, n]; then Q = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)).
  ``hinges`` (Tukey; R's fivenum): the lower hinge at depth
  d = floor((n + 3)/2)/2, the upper at n + 1 - d, the median at (n + 1)/2,
  averaging the two neighbours at a half depth. The median is the 0.5
  quantile of the same method.
* sd: sample standard deviation (denominator n - 1); NaN when n < 2.
* agreement / disagreement: share of the non-missing ratings inside the
  agreement band / its mirror image on the scale.
* Kendall's W (Kendall & Babington Smith 1939; Siegel & Castellan 1988):
  panellists with any missing rating in the round are left out; each
  remaining panellist's ratings are ranked across the round's items (ties
  share the average rank); W = 12 S / (m^2 (n^3 - n) - m T), T the sum of
  t^3 - t over tie groups; chi2 = m (n - 1) W on n - 1 df.

The items of the other question kinds are checked against ``kind_statistics``
and ``ranking_option_statistics``, from their answers tables (``estimates``,
``probabilities``, ``years``, ``rankings``) and the items' parameters
(``items``), with each kind's consensus threshold from ``codebook.json``:

* every quartile is computed exactly (the answers as written, i.e. each
  float's shortest decimal, as fractions; the interpolation in rational
  arithmetic), then rounded once, as the engine does; thresholds are decided on the exact values, the
  threshold taken as written (0.25 is 1/4).
* estimate: the P50s (or the single values) give n, median, q1, q3, iqr and
  the quartile coefficient of dispersion (q3 - q1) / (q3 + q1) when no
  answer is negative and q3 + q1 > 0 (Bonett 2006), else the IQR relative
  to the item's range (max - min); the aggregate P10/P50/P90 is the mean of each
  percentile over the panellists (quantile averaging; Lichtendahl et al.
  2013). With a target: direction "down" when the target is below the
  baseline, else "up"; target_share the share of values at least (up) or
  at most (down) the target; median_gap = median - target. Consensus:
  dispersion (or relative IQR) <= max_dispersion.
* probability: n, median, q1, q3, iqr in percentage points; IQR <= max_iqr.
* year: "later" ranks above every year; a quartile whose order statistics
  (x_(j), and x_(j+1) when interpolating) reach a "later" answer is
  "later" (no figure; its flag true), and the IQR is then undefined;
  later_share = n_later / n; IQR <= max_iqr.
* ranking: the options a panellist left unranked share the mean of the
  remaining ranks, (r + 1 + m) / 2 of m options after r ranked (the
  ``rank_<id>`` columns are checked against the ``ranking`` column);
  mean rank and rank sum per option; top3_share the share of panellists who
  placed the option themselves at rank 1 to 3; Kendall's W over the rank
  matrix (panellists as raters, options as items), tie-corrected, with
  chi2 = n (m - 1) W on m - 1 df (Kendall & Babington Smith 1939; Siegel &
  Castellan 1988); W >= min_w; w_change against the previous round's W,
  stable when |w_change| <= max_w_change (Schmidt 1997).
* every kind: insufficient_n when n < min_n, checked first.

"Match" means equal counts, equal verdicts and flags, and floats equal to
within 1e-9 relative to their size (the exported figures are written with
full precision; the tolerance only absorbs the order of floating-point
additions).
"""
from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

TOLERANCE = 1e-9
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# -- reading ---------------------------------------------------------------------

def unescape(value):
    """Undo the export's formula escaping of a text cell ("'=x" -> "=x")."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def load(folder: Path, codebook: dict, name: str) -> pd.DataFrame | None:
    fmt = codebook["format"]
    if fmt == "csv":
        path = folder / f"{name}.csv"
        if not path.exists():
            return None
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    elif fmt == "json":
        path = folder / f"{name}.json"
        if not path.exists():
            return None
        frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        return frame
    elif fmt == "xlsx":
        path = folder / "data.xlsx"
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
        parts = [sheets[s] for s in codebook["tables"].get(name, {}).get("sheets", [])
                 if s in sheets]
        if not parts:
            return None
        frame = pd.concat(parts, ignore_index=True)
    else:
        raise SystemExit(f"unknown format {fmt!r} in codebook.json")
    for col in frame.columns:
        frame[col] = frame[col].map(unescape)
    return frame


def number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace({"": np.nan}), errors="coerce").astype(float)


def truth(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v is True or str(v).strip().lower() in ("true", "1"))


# -- statistics from their definitions -------------------------------------------

def quantile(sorted_x: np.ndarray, p: float, method: str) -> float:
    n = len(sorted_x)
    if n == 0:
        return math.nan
    if method == "type7":
        h = (n - 1) * p + 1
    elif method == "type6":
        h = min(max((n + 1) * p, 1.0), float(n))
    elif method == "hinges":
        if p == 0.5:
            h = (n + 1) / 2
        else:
            depth = math.floor((n + 3) / 2) / 2
            h = depth if p == 0.25 else n + 1 - depth
    else:
        raise SystemExit(f"unknown quantile method {method!r}")
    if abs(h - round(h)) < 1e-9:
        h = float(round(h))
    lower = math.floor(h)
    frac = h - lower
    upper = min(lower + 1, n)
    x_lo, x_hi = float(sorted_x[lower - 1]), float(sorted_x[upper - 1])
    return x_lo + frac * (x_hi - x_lo)


def item_summary(values: np.ndarray, method: str, agree: tuple, disagree: tuple) -> dict:
    x = np.sort(values[~np.isnan(values)])
    n = len(x)
    out = {"n": n}
    if n == 0:
        return {**out, **{k: math.nan for k in ("median", "q1", "q3", "iqr", "mean", "sd",
                                                 "agreement", "disagreement")}}
    out["median"] = quantile(x, 0.5, method)
    out["q1"] = quantile(x, 0.25, method)
    out["q3"] = quantile(x, 0.75, method)
    out["iqr"] = out["q3"] - out["q1"]
    out["mean"] = float(np.mean(x))
    out["sd"] = float(np.std(x, ddof=1)) if n > 1 else math.nan
    out["agreement"] = float(np.mean((x >= agree[0]) & (x <= agree[1])))
    out["disagreement"] = float(np.mean((x >= disagree[0]) & (x <= disagree[1])))
    return out


def kendall(matrix: np.ndarray, min_n: int = 1) -> dict:
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    m, n = complete.shape
    if m < 2 or n < 2 or m < min_n:  # below the minimum n: "too few answers", no W
        return {"w": math.nan, "n_raters": m}
    ranks = np.apply_along_axis(stats.rankdata, 1, complete)
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - m * (n + 1) / 2) ** 2).sum())
    ties = 0.0
    for row in complete:
        _values, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    denominator = m ** 2 * (n ** 3 - n) - m * ties
    if denominator <= 0:
        return {"w": math.nan, "n_raters": m}
    w = 12 * s / denominator
    chi2 = m * (n - 1) * w
    return {"w": w, "chi2": chi2, "df": n - 1, "pvalue": float(stats.chi2.sf(chi2, n - 1)),
            "n_raters": m}


# -- comparing -------------------------------------------------------------------

def same(expected, actual) -> bool:
    e_missing = expected is None or (isinstance(expected, float) and math.isnan(expected))
    a_missing = actual is None or (isinstance(actual, float) and math.isnan(actual))
    if e_missing or a_missing:
        return e_missing and a_missing
    e, a = float(expected), float(actual)
    return abs(e - a) <= TOLERANCE * max(1.0, abs(e), abs(a))


# -- the question kinds ------------------------------------------------------------

ANSWER_TABLES = {"estimate": "estimates", "probability": "probabilities", "year": "years",
                 "ranking": "rankings"}
HALF, QUARTER, THREE_QUARTERS = Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)


def missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def written(value) -> Fraction:
    """A number as written: a float's shortest decimal (2.1 is 21/10), as the engine reads answers."""
    return Fraction(repr(float(value)))


def as_float(value):
    return None if missing(value) else float(value)


def flag(value):
    """A boolean cell: True, False or None (empty)."""
    if missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return str(value).strip().lower() in ("true", "1", "1.0")


def limit_of(value) -> Fraction:
    """A threshold as written: 0.25 is 1/4, not the binary float."""
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def position(n: int, p: Fraction, method: str) -> Fraction:
    """Hyndman & Fan position h (1-based) of the p-quantile of n sorted values."""
    if p == HALF:
        return Fraction(n + 1, 2)
    if method == "type7":
        return (n - 1) * p + 1
    if method == "type6":
        return min(max((n + 1) * p, Fraction(1)), Fraction(n))
    if method == "hinges":
        depth = Fraction((n + 3) // 2, 2)
        return depth if p == QUARTER else n + 1 - depth
    raise SystemExit(f"unknown quantile method {method!r}")


def exact_quantile(xs: list, p: Fraction, method: str, usable: int | None = None):
    """The exact p-quantile of the sorted fractions ``xs``; None when it needs an
    order statistic beyond the first ``usable`` ones (a "later" answer)."""
    n = len(xs)
    h = position(n, p, method)
    j = math.floor(h)
    g = h - j
    last = j + 1 if g > 0 else j
    if usable is not None and last > usable:
        return None
    low = xs[j - 1]
    return low if g == 0 else low + g * (xs[j] - low)


def verdict(n: int, min_n: int, ok) -> str:
    if n < min_n:
        return "insufficient_n"
    return "consensus_in" if ok else "no_consensus"


def estimate_figures(rows: pd.DataFrame, item: dict, method: str, rule: dict, min_n: int) -> dict:
    quantiles = bool(flag(item.get("quantiles")))
    values = [float(v) for v in number(rows["p50" if quantiles else "value"])]
    xs = sorted(written(v) for v in values)
    n = len(xs)
    out = {"n": n, "median": None, "q1": None, "q3": None, "iqr": None, "dispersion": None,
           "dispersion_basis": "quartile", "relative_iqr": None, "aggregate_p10": None,
           "aggregate_p50": None, "aggregate_p90": None, "target_share": None,
           "median_gap": None, "direction": None}
    exact = None
    if n:
        q1, med, q3 = (exact_quantile(xs, p, method) for p in (QUARTER, HALF, THREE_QUARTERS))
        out.update(median=float(med), q1=float(q1), q3=float(q3), iqr=float(q3 - q1))
        if xs[0] >= 0 and q3 + q1 > 0:
            exact = (q3 - q1) / (q3 + q1)
            out["dispersion"] = float(exact)
        else:
            out["dispersion_basis"] = "range"
            exact = (q3 - q1) / (limit_of(float(item["max"])) - limit_of(float(item["min"])))
            out["relative_iqr"] = float(exact)
        if quantiles:
            for p in ("p10", "p50", "p90"):
                column = [written(v) for v in number(rows[p])]
                out[f"aggregate_{p}"] = float(sum(column, Fraction(0)) / len(column))
    target = as_float(item.get("target_value"))
    if target is not None:
        baseline = as_float(item.get("baseline_value"))
        goal = written(target)
        down = baseline is not None and goal < written(baseline)
        out["direction"] = "down" if down else "up"
        if n:
            reached = sum(1 for x in xs if (x <= goal if down else x >= goal))
            out["target_share"] = reached / n
            out["median_gap"] = float(exact_quantile(xs, HALF, method) - goal)
    out["verdict"] = verdict(n, min_n, exact is not None and exact <= limit_of(rule["max_dispersion"]))
    return out


def probability_figures(rows, item, method, rule, min_n) -> dict:
    xs = sorted(written(v) for v in number(rows["probability"]))
    n = len(xs)
    out = {"n": n, "median": None, "q1": None, "q3": None, "iqr": None}
    exact = None
    if n:
        q1, med, q3 = (exact_quantile(xs, p, method) for p in (QUARTER, HALF, THREE_QUARTERS))
        exact = q3 - q1
        out.update(median=float(med), q1=float(q1), q3=float(q3), iqr=float(exact))
    out["verdict"] = verdict(n, min_n, exact is not None and exact <= limit_of(rule["max_iqr"]))
    return out


def year_figures(rows, item, method, rule, min_n) -> dict:
    later = [flag(v) is True for v in rows["later"]]
    years = sorted(written(y) for y, is_later in zip(rows["year"], later) if not is_later)
    n_later = sum(later)
    n = len(years) + n_later
    out = {"n": n, "n_later": n_later, "later_share": None, "median": None, "q1": None,
           "q3": None, "iqr": None, "median_later": None, "q1_later": None, "q3_later": None}
    exact = None
    if n:
        padded = years + [None] * n_later
        q1, med, q3 = (exact_quantile(padded, p, method, usable=len(years))
                       for p in (QUARTER, HALF, THREE_QUARTERS))
        exact = None if q1 is None or q3 is None else q3 - q1
        out.update(later_share=n_later / n, median=None if med is None else float(med),
                   q1=None if q1 is None else float(q1), q3=None if q3 is None else float(q3),
                   iqr=None if exact is None else float(exact), median_later=med is None,
                   q1_later=q1 is None, q3_later=q3 is None)
    else:
        out.update(median_later=False, q1_later=False, q3_later=False)
    out["verdict"] = verdict(n, min_n, exact is not None and exact <= limit_of(rule["max_iqr"]))
    return out


def ranking_figures(rows, item, method, rule, min_n, w_previous=None) -> tuple[dict, dict, list]:
    """(figures, {option: figures}, problems of the rank columns)."""
    ids = [int(o["id"]) for o in json.loads(item["options"])]
    m = len(ids)
    column = {option: j for j, option in enumerate(ids)}
    matrix, explicit, problems = [], [], []
    for _, row in rows.iterrows():
        order = [int(float(o)) for o in str(row["ranking"]).split()]
        ranks = [Fraction(len(order) + 1 + m, 2)] * m
        placed = [False] * m
        for rank, option in enumerate(order, start=1):
            ranks[column[option]] = Fraction(rank)
            placed[column[option]] = True
        for option in ids:
            given = as_float(row.get(f"rank_{option}"))
            if given is None or Fraction(given) != ranks[column[option]]:
                problems.append(f"rank_{option} of {row['pseudonym']}: exported {given!r}, "
                                f"from the ranking {float(ranks[column[option]])!r}")
        matrix.append(ranks)
        explicit.append(placed)
    n = len(matrix)
    options = {}
    for option, j in column.items():
        total = sum((r[j] for r in matrix), Fraction(0))
        options[option] = {
            "rank_sum": float(total) if n else None,
            "mean_rank": float(total / n) if n else None,
            "top3_share": sum(1 for r, e in zip(matrix, explicit) if e[j] and r[j] <= 3) / n
            if n else None}
    out = {"n": n, "w": None, "w_uncorrected": None, "chi2": None, "df": None, "pvalue": None}
    exact = None
    if n >= 2 and m >= 2:
        sums = [sum((r[j] for r in matrix), Fraction(0)) for j in range(m)]
        centre = Fraction(n * (m + 1), 2)
        s = sum(((x - centre) ** 2 for x in sums), Fraction(0))
        ties = 0
        for r in matrix:
            counts: dict = {}
            for x in r:
                counts[x] = counts.get(x, 0) + 1
            ties += sum(t ** 3 - t for t in counts.values())
        denominator = n * n * (m ** 3 - m) - n * ties
        if denominator > 0:
            exact = 12 * s / denominator
            chi2 = float(n * (m - 1) * exact)
            out.update(w=float(exact), w_uncorrected=float(12 * s / (n * n * (m ** 3 - m))),
                       chi2=chi2, df=m - 1, pvalue=float(stats.chi2.sf(chi2, m - 1)))
    out["w_previous"] = w_previous
    out["w_change"] = None if out["w"] is None or w_previous is None else out["w"] - w_previous
    out["w_stable"] = None if out["w_change"] is None else (
        abs(limit_of(out["w"]) - limit_of(w_previous)) <= limit_of(rule["max_w_change"]))
    out["verdict"] = verdict(n, min_n, exact is not None and exact >= limit_of(rule["min_w"]))
    return out, options, problems


FIGURES = {"estimate": estimate_figures, "probability": probability_figures, "year": year_figures}
TEXT_FIGURES = ("verdict", "dispersion_basis", "direction")
FLAG_FIGURES = ("median_later", "q1_later", "q3_later", "w_stable")


def compare(exported: pd.Series, mine: dict) -> list[str]:
    bad = []
    for stat, value in mine.items():
        if stat not in exported.index:
            continue
        cell = exported[stat]
        if stat in TEXT_FIGURES:
            given = None if missing(cell) else str(cell)
            ok = given == value
        elif stat in FLAG_FIGURES:
            given = flag(cell)
            ok = given == (None if value is None else bool(value))
        else:
            given = as_float(cell)
            ok = same(given, value)
        if not ok:
            bad.append(f"{stat}: exported {given!r}, recomputed {value!r}")
    return bad


def check_kinds(folder: Path, codebook: dict) -> tuple[int, int]:
    """Checks of the items of the other question kinds: (checks, failures)."""
    kind_stats = load(folder, codebook, "kind_statistics")
    if kind_stats is None or kind_stats.empty:
        return 0, 0
    protocol = codebook["protocol"]
    method, min_n = protocol["quantile_method"], int(protocol["min_n"])
    thresholds = protocol["kind_consensus"]["thresholds"]
    items = load(folder, codebook, "items")
    params = {str(row["item_code"]): row.to_dict() for _, row in items.iterrows()}
    answers = {kind: load(folder, codebook, table) for kind, table in ANSWER_TABLES.items()}
    option_stats = load(folder, codebook, "ranking_option_statistics")
    kind_stats = kind_stats.assign(_round=number(kind_stats["round"]).astype(int))
    rounds_with_items = set(kind_stats["_round"])
    for name in ("item_statistics",):
        rating_stats = load(folder, codebook, name)
        if rating_stats is not None and len(rating_stats):
            rounds_with_items |= set(number(rating_stats["round"]).astype(int))
    w_of: dict[tuple[int, str], float | None] = {}  # the recomputed W, for the next round
    checks = failures = 0
    for _, row in kind_stats.sort_values("_round", kind="stable").iterrows():
        kind, code, number_ = str(row["kind"]), str(row["item_code"]), int(row["_round"])
        label = f"round {number_} item {code} {kind}"
        table = answers.get(kind)
        if table is None:
            print(f"This export has no {ANSWER_TABLES.get(kind, kind)} table: {label} not checked.")
            continue
        if "round" not in table.columns:  # an empty table read back from JSON
            table = pd.DataFrame(columns=["round", "item_code", "cannot_answer"])
        here = table[(number(table["round"]) == number_) & (table["item_code"].astype(str) == code)]
        cannot = truth(here["cannot_answer"])
        given = here[~cannot]
        item = params[code]
        rule = thresholds[kind]
        problems: list[str] = []
        if kind == "ranking":
            earlier = [r for r in rounds_with_items if r < number_]
            previous = w_of.get((max(earlier), code)) if earlier else None
            mine, options, problems = ranking_figures(given, item, method, rule, min_n, previous)
            w_of[(number_, code)] = mine["w"]
            if option_stats is not None:
                mine_rows = option_stats[(number(option_stats["round"]) == number_)
                                         & (option_stats["item_code"].astype(str) == code)]
                for _, o in mine_rows.iterrows():
                    option = int(float(o["option"]))
                    problems += [f"option {option} {p}" for p in compare(o, options.get(option, {}))]
                if len(mine_rows) != len(options):
                    problems.append(f"{len(mine_rows)} option rows exported for {len(options)} "
                                    "options")
        else:
            mine = FIGURES[kind](given, item, method, rule, min_n)
        mine["n_missing"] = int(cannot.sum())
        bad = compare(row, mine) + problems
        checks += 1
        if bad:
            failures += 1
            print(f"MISMATCH {label}: " + "; ".join(bad))
        else:
            print(f"match    {label}")
    return checks, failures


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    codebook = json.loads((folder / "codebook.json").read_text(encoding="utf-8"))
    protocol = codebook["protocol"]
    method = protocol["quantile_method"]
    agree = tuple(protocol["agreement_band"])
    disagree = tuple(protocol["disagreement_band"])
    min_n = int(protocol.get("min_n") or 1)

    ratings = load(folder, codebook, "ratings")
    item_stats = load(folder, codebook, "item_statistics")
    round_stats = load(folder, codebook, "round_statistics")
    if ratings is None or item_stats is None:
        print("This export has no ratings table: nothing to recompute.")
        return 2
    if "rating" not in ratings.columns:  # an empty table read back from JSON
        ratings = pd.DataFrame(columns=["pseudonym", "round", "item_code", "criterion", "rating",
                                        "cannot_rate"])

    ratings["round"] = number(ratings["round"]).astype(int)
    ratings["value"] = number(ratings["rating"])
    ratings.loc[truth(ratings["cannot_rate"]), "value"] = np.nan
    ratings["item_code"] = ratings["item_code"].astype(str)
    ratings["criterion"] = ratings["criterion"].astype(str)

    checks = failures = 0
    print(f"Quantile method: {method}; agreement band {agree}; disagreement band {disagree}.")
    groups = {key: frame["value"].to_numpy(dtype=float)
              for key, frame in ratings.groupby(["round", "item_code", "criterion"], sort=True)}
    for _, row in item_stats.iterrows():
        key = (int(float(row["round"])), str(row["item_code"]), str(row["criterion"]))
        values = groups.get(key, np.zeros(0))
        mine = item_summary(values, method, agree, disagree)
        if 0 < mine["n"] < min_n:  # below the minimum n no figure is exported
            mine = {"n": mine["n"], **{k: math.nan for k in mine if k != "n"}}
        bad = []
        for stat in ("n", "median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement"):
            exported = row[stat]
            exported = math.nan if exported is None or exported == "" else float(exported)
            if not same(exported, mine[stat]):
                bad.append(f"{stat}: exported {exported!r}, recomputed {mine[stat]!r}")
        checks += 1
        label = f"round {key[0]} item {key[1]} {key[2]}"
        if bad:
            failures += 1
            print(f"MISMATCH {label}: " + "; ".join(bad))
        else:
            print(f"match    {label}")

    if round_stats is not None:
        for _, row in round_stats.iterrows():
            number_, criterion = int(float(row["round"])), str(row["criterion"])
            items_in_round = item_stats[(number(item_stats["round"]) == number_)
                                        & (item_stats["criterion"].astype(str) == criterion)]
            codes = list(dict.fromkeys(items_in_round["item_code"].astype(str)))
            here = ratings[(ratings["round"] == number_) & (ratings["criterion"] == criterion)]
            matrix = here.set_index(["pseudonym", "item_code"])["value"].unstack()
            matrix = matrix.reindex(columns=codes).to_numpy(dtype=float)
            mine = kendall(matrix, min_n)
            bad = []
            for stat in ("w", "chi2", "df", "pvalue", "n_raters"):
                if stat not in row.index:
                    continue
                exported = row[stat]
                exported = math.nan if exported is None or exported == "" or (
                    isinstance(exported, float) and math.isnan(exported)) else float(exported)
                if stat != "w" and math.isnan(exported) and stat not in mine:
                    continue
                if not same(exported, mine.get(stat, math.nan)):
                    bad.append(f"{stat}: exported {exported!r}, recomputed {mine.get(stat)!r}")
            checks += 1
            label = f"round {number_} Kendall's W {criterion}"
            if bad:
                failures += 1
                print(f"MISMATCH {label}: " + "; ".join(bad))
            else:
                print(f"match    {label}")

    kind_checks, kind_failures = check_kinds(folder, codebook)
    checks, failures = checks + kind_checks, failures + kind_failures
    print(f"{checks - failures} of {checks} checks match.")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
