#!/usr/bin/env python3
"""Recompute this export's statistics from its ratings and check them.

Usage: ``python reproduce.py [FOLDER]`` (default: the folder of this script,
i.e. the unzipped export). Needs only pandas, numpy and scipy (and openpyxl
to read an XLSX export, as pandas.read_excel does).

For every closed round, item and criterion it recomputes n, median, q1, q3,
iqr, mean, sd, agreement and disagreement from the ``ratings`` table, with the
study's quantile method as written in ``codebook.json``; for every round and
criterion Kendall's W (tie-corrected), chi2, df, p and the number of raters.
It compares them with the exported ``item_statistics`` and
``round_statistics`` and prints one line per check, "match" or "MISMATCH".
Exit status: 0 when everything matches, 1 when something does not, 2 when the
export has no ratings to recompute from.

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

"Match" means equal counts and floats equal to within 1e-9 (the exported
figures are written with full precision; the tolerance only absorbs the
order of floating-point additions).
"""
from __future__ import annotations

import json
import math
import sys
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


def kendall(matrix: np.ndarray) -> dict:
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    m, n = complete.shape
    if m < 2 or n < 2:
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
    return abs(float(expected) - float(actual)) <= TOLERANCE


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    codebook = json.loads((folder / "codebook.json").read_text(encoding="utf-8"))
    protocol = codebook["protocol"]
    method = protocol["quantile_method"]
    agree = tuple(protocol["agreement_band"])
    disagree = tuple(protocol["disagreement_band"])

    ratings = load(folder, codebook, "ratings")
    item_stats = load(folder, codebook, "item_statistics")
    round_stats = load(folder, codebook, "round_statistics")
    if ratings is None or item_stats is None:
        print("This export has no ratings table: nothing to recompute.")
        return 2

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
            mine = kendall(matrix)
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

    print(f"{checks - failures} of {checks} checks match.")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
