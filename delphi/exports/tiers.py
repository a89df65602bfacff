"""The export tiers as pandas tables, read straight from the database.

Every tier is built from one query of plain columns per table (no ORM
object per rating); the reshaping is done with pandas and numpy.

Tiers
-----
``deidentified`` (the default)
    ``ratings``: one row per panellist × round × item × criterion of every
    closed round, with the panellist's pseudonym, the round number, the item's
    code and text, the criterion, the rating (or ``cannot_rate``), and the
    quasi-identifiers role, region and stakeholder group, generalised so that
    every combination is shared by at least *k* panellists. Plus the frozen
    statistics (they are aggregates), so the reproduction script can check them.
``comments``
    The de-identified tables plus ``comments``: each submitted comment and
    each outside-IQR reason, scrubbed of email addresses, phone numbers and URLs.
``statistics``
    Only the frozen per-item, per-round and stability statistics of every
    closed round.

What never leaves: names, emails, organisations, countries, user and
panellist ids, the random in-app pseudonyms, and every timestamp (only the
round number says when). Rows are shuffled with a CSPRNG, so their order
says nothing about who answered when.

Pseudonyms, shuffling and k-anonymity: :mod:`delphi.exports.anonymity`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select

from delphi.core.database import db
from delphi.core.models import (
    Item,
    ItemComment,
    Rating,
    Response,
    Round,
    RoundStatistics,
    RoundStatus,
    Study,
)
from delphi.exports.anonymity import (
    QUASI_IDENTIFIERS,
    AnonymityReport,
    k_anonymise,
    pseudonym,
    shuffle,
)
from delphi.exports.scrub import scrub
from rounds import results
from rounds.adapter import COUNTED
from rounds.panel_attributes import panel_attributes

TIERS = ("deidentified", "comments", "statistics")

#: Panellist-level columns first, then the answer: the CSV writer merges each
#: group's few distinct values (see ``formats._coded_csv``).
RATINGS_COLUMNS = ["pseudonym", "role", "region", "stakeholder_group", "round", "item_code",
                   "item_text", "criterion", "rating", "cannot_rate"]
COMMENTS_COLUMNS = ["pseudonym", "round", "item_code", "kind", "criterion", "text"]
ITEM_STAT_COLUMNS = ["round", "item_code", "item_text", "criterion", "n", "n_missing", "median",
                     "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement"]
ROUND_STAT_COLUMNS = ["round", "criterion", "invited", "started", "submitted", "response_rate",
                      "w", "w_uncorrected", "chi2", "df", "pvalue", "n_raters", "n_items",
                      "n_dropped"]
STABILITY_COLUMNS = ["round", "item_code", "criterion"]


# -- reading ------------------------------------------------------------------------

def _counted(query):
    """Only the answers that counted when their round closed (``Response.counted``,
    the one definition of :mod:`rounds.adapter`)."""
    return query.where(COUNTED, Round.status == RoundStatus.closed)


def _fetch_columns(query) -> list[tuple]:
    """Run a Core query on the session's connection (same transaction) and
    return the driver's plain tuples: no SQLAlchemy Row per rating.

    The query is compiled with its parameters inlined: they are ids and enum
    values from the code, never user input.
    """
    conn = db.session.connection()
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def read_ratings(study: Study) -> pd.DataFrame:
    """Submitted ratings of the study's closed rounds: panellist_id, round,
    item_id, criterion, value (float, NaN = cannot rate). One query, of
    integers only (the criterion as its position in the study's list, "cannot
    rate" as 0), turned into one int64 array at once."""
    criteria = list(study.criteria)
    criterion_code = case({c: i for i, c in enumerate(criteria)}, value=Rating.criterion, else_=-1)
    query = _counted(
        select(Response.panellist_id, Round.number, Rating.item_id, criterion_code,
               func.coalesce(Rating.value, 0))
        .select_from(Rating)
        .join(Response, Response.id == Rating.response_id)
        .join(Round, Round.id == Response.round_id)
        .where(Round.study_id == study.id))
    rows = _fetch_columns(query)
    n = len(rows)
    if not n:
        return pd.DataFrame({"panellist_id": np.zeros(0, np.int64), "round": np.zeros(0, np.int64),
                             "item_id": np.zeros(0, np.int64),
                             "criterion": pd.Categorical([], categories=list(study.criteria)),
                             "value": np.zeros(0, float)})
    data = np.array(rows, dtype=np.int64)
    known = data[:, 3] >= 0
    if not known.all():  # a criterion no longer in the protocol: not exported
        data = data[known]
    value = data[:, 4].astype(float)
    value[value == 0] = np.nan
    return pd.DataFrame({
        "panellist_id": data[:, 0],
        "round": data[:, 1],
        "item_id": data[:, 2],
        "criterion": pd.Categorical.from_codes(data[:, 3], categories=criteria),
        "value": value,
    })


def read_items(study: Study) -> pd.DataFrame:
    rows = db.session.execute(
        select(Item.id, Item.code, Item.text).where(Item.study_id == study.id).order_by(Item.code)
    ).all()
    return pd.DataFrame(rows, columns=["item_id", "item_code", "item_text"])


def read_quasi_identifiers(study: Study, panellist_ids) -> pd.DataFrame:
    """Role, region and stakeholder group of the given panellists (the
    attributes of :func:`rounds.panel_attributes.panel_attributes`, the same
    on every page and in every export)."""
    wanted = {int(i) for i in panellist_ids}
    attributes = panel_attributes(study)
    records = [(pid, *(attributes[pid][name] for name in QUASI_IDENTIFIERS))
               for pid in sorted(wanted) if pid in attributes]
    return pd.DataFrame(records, columns=["panellist_id", *QUASI_IDENTIFIERS])


# -- the tables --------------------------------------------------------------------

@dataclass
class Tables:
    """The tables of one export, in order, with what the codebook needs to know."""

    tier: str
    frames: dict[str, pd.DataFrame]
    anonymity: AnonymityReport | None = None
    timings: dict[str, float] = field(default_factory=dict)


def ratings_table(study: Study, k: int, raw: pd.DataFrame | None = None
                  ) -> tuple[pd.DataFrame, AnonymityReport, dict[int, str]]:
    """The de-identified ratings table, shuffled; also the pseudonym map.
    ``raw``: :func:`read_ratings`' result, if already read."""
    if raw is None:
        raw = read_ratings(study)
    items = read_items(study).set_index("item_id")
    panellists = np.unique(raw["panellist_id"].to_numpy())
    names = {int(p): pseudonym(study.pseudonym_secret, int(p)) for p in panellists}
    qi = read_quasi_identifiers(study, panellists)
    generalised, report = k_anonymise(qi, k)
    generalised = generalised.set_index("panellist_id")

    # Panellist-level attributes as categoricals: one code per row, no string copies.
    p_codes = np.searchsorted(panellists, raw["panellist_id"].to_numpy())
    frame = {"pseudonym": pd.Categorical.from_codes(
        p_codes, categories=[names[int(p)] for p in panellists]) if len(panellists) else
        pd.Categorical([])}
    frame["round"] = raw["round"].to_numpy()
    item_ids = items.index.to_numpy()
    order = np.argsort(item_ids)
    i_codes = order[np.searchsorted(item_ids[order], raw["item_id"].to_numpy())] if len(items) else \
        np.zeros(0, np.intp)
    frame["item_code"] = pd.Categorical.from_codes(i_codes, categories=items["item_code"].tolist()) \
        if len(items) else pd.Categorical([])
    frame["item_text"] = _texts_categorical(items["item_text"].tolist(), i_codes)
    frame["criterion"] = raw["criterion"]
    frame["rating"] = pd.array(raw["value"].to_numpy(), dtype="Int64")
    frame["cannot_rate"] = raw["value"].isna().to_numpy()
    for a in QUASI_IDENTIFIERS:
        values = generalised[a].reindex(panellists).tolist() if len(panellists) else []
        cats = sorted(set(values))
        lookup = {v: i for i, v in enumerate(cats)}
        codes_per_panellist = np.array([lookup[v] for v in values], dtype=np.intp)
        frame[a] = pd.Categorical.from_codes(codes_per_panellist[p_codes] if len(panellists) else
                                             np.zeros(0, np.intp), categories=cats)
    table = pd.DataFrame(frame)[RATINGS_COLUMNS]
    return shuffle(table), report, names


def _texts_categorical(texts: list[str], codes: np.ndarray) -> pd.Categorical:
    """Item texts per row as a Categorical (two items may share a text)."""
    unique = list(dict.fromkeys(texts))
    position = {t: i for i, t in enumerate(unique)}
    remap = np.array([position[t] for t in texts], dtype=np.intp)
    return pd.Categorical.from_codes(remap[codes] if len(texts) else np.zeros(0, np.intp),
                                     categories=unique)


def comments_table(study: Study, names: dict[int, str]) -> pd.DataFrame:
    """Comments and outside-IQR reasons, scrubbed, shuffled."""
    comments = db.session.execute(_counted(
        select(Response.panellist_id, Round.number, Item.code, ItemComment.text)
        .select_from(ItemComment)
        .join(Response, Response.id == ItemComment.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Item, Item.id == ItemComment.item_id)
        .where(Round.study_id == study.id))).all()
    reasons = db.session.execute(_counted(
        select(Response.panellist_id, Round.number, Item.code, Rating.criterion, Rating.reason)
        .select_from(Rating)
        .join(Response, Response.id == Rating.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Item, Item.id == Rating.item_id)
        .where(Round.study_id == study.id, Rating.reason.is_not(None), Rating.reason != ""))).all()
    records = []
    for pid, number, code, text in comments:
        if text and text.strip():
            records.append((_name(study, names, pid), number, code, "comment", "", scrub(text)))
    for pid, number, code, criterion, text in reasons:
        records.append((_name(study, names, pid), number, code, "reason", criterion, scrub(text)))
    frame = pd.DataFrame(records, columns=COMMENTS_COLUMNS)
    frame["round"] = frame["round"].astype("int64")
    return shuffle(frame)


def _name(study: Study, names: dict[int, str], panellist_id: int) -> str:
    if panellist_id not in names:
        names[panellist_id] = pseudonym(study.pseudonym_secret, panellist_id)
    return names[panellist_id]


def statistics_tables(study: Study) -> dict[str, pd.DataFrame]:
    """Frozen ItemStatistics, RoundStatistics (one row per round × criterion)
    and stability of every closed round, in round and item order."""
    points = int(study.scale_points)
    rows = []
    for rnd in results.closed_rounds(study):
        rows.extend((rnd.number, r) for r in results.item_rows(rnd))
    rows.sort(key=lambda pair: (pair[0], pair[1].code, pair[1].criterion))
    count_cols = [f"count_{v}" for v in range(1, points + 1)]
    records = []
    for number, r in rows:
        counts = (list(r.counts) + [0] * points)[:points]
        records.append((number, r.code, r.text, r.criterion, r.n, r.n_missing, r.median, r.q1,
                        r.q3, r.iqr, r.mean, r.sd, r.agreement, r.disagreement, *counts, r.verdict))
    items = pd.DataFrame(records, columns=[*ITEM_STAT_COLUMNS, *count_cols, "verdict"])
    for col in ("round", "n", "n_missing", *count_cols):
        items[col] = items[col].astype("int64")
    for col in ("median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement"):
        items[col] = items[col].astype(float)

    code_of = dict(db.session.execute(select(Item.id, Item.code).where(Item.study_id == study.id)).all())
    round_rows = db.session.execute(
        select(Round.number, RoundStatistics)
        .join(Round, Round.id == RoundStatistics.round_id)
        .where(Round.study_id == study.id, Round.status == RoundStatus.closed)
        .order_by(Round.number)).all()
    per_round, stability = [], []
    for number, stats in round_rows:
        for criterion in study.criteria:
            conc = (stats.concordance or {}).get(criterion) or {}
            per_round.append((number, criterion, stats.invited, stats.started, stats.submitted,
                              stats.response_rate, *(conc.get(key) for key in ROUND_STAT_COLUMNS[6:])))
        for key, values in sorted((stats.stability or {}).items()):
            item_id, _sep, criterion = str(key).partition(":")
            try:
                code = code_of.get(int(item_id), item_id)
            except ValueError:
                code = item_id
            flat = {k: v for k, v in (values or {}).items() if not isinstance(v, (dict, list))}
            stability.append({"round": number, "item_code": code, "criterion": criterion, **flat})
    rounds = pd.DataFrame(per_round, columns=ROUND_STAT_COLUMNS)
    for col in ("w", "w_uncorrected", "chi2", "pvalue", "response_rate"):
        rounds[col] = pd.to_numeric(rounds[col], errors="coerce").astype(float)
    for col in ("round", "invited", "started", "submitted"):
        rounds[col] = rounds[col].astype("int64")
    for col in ("df", "n_raters", "n_items", "n_dropped"):
        rounds[col] = pd.array(pd.to_numeric(rounds[col], errors="coerce"), dtype="Int64")
    stab = pd.DataFrame(stability)
    if stab.empty:
        stab = pd.DataFrame(columns=STABILITY_COLUMNS)
    return {"item_statistics": items, "round_statistics": rounds, "stability": stab}


def build_tables(study: Study, tier: str, *, k: int = 5) -> Tables:
    """All tables of a tier, timed in seconds: "read" (the ratings query) and
    "build" (everything else: other queries, reshaping, anonymising, shuffling)."""
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
    started = time.perf_counter()
    frames: dict[str, pd.DataFrame] = {}
    report = None
    read = 0.0
    if tier in ("deidentified", "comments"):
        raw = read_ratings(study)
        read = time.perf_counter() - started
        ratings, report, names = ratings_table(study, k, raw)
        frames["ratings"] = ratings
        if tier == "comments":
            frames["comments"] = comments_table(study, names)
    frames.update(statistics_tables(study))
    return Tables(tier=tier, frames=frames, anonymity=report,
                  timings={"read": read, "build": time.perf_counter() - started - read})

