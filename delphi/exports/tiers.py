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

Question kinds (:mod:`rounds.kinds`)
------------------------------------
Rating items keep the ``ratings`` table above, unchanged. The answers of the
other kinds go to one table per kind (:data:`ANSWER_TABLES`: ``estimates``,
``probabilities``, ``years``, ``rankings``), one row per panellist × round ×
item, in the de-identified and comments tiers: the same pseudonym and the
same generalised quasi-identifiers as in ``ratings`` (k-anonymity is computed
once over every panellist of the export), then the round, the item, the
kind's own columns as the registry declares them
(``Kind.export_columns``/``export_values``) and ``cannot_answer``. Every tier
has the ``items`` table (each item's kind and parameters); a study with
items of other kinds also has ``kind_statistics`` (their frozen statistics,
one row per round × item, the kind's figures as columns) and
``ranking_option_statistics`` (per ranking option: mean rank, rank sum,
top-three share), read from :func:`rounds.results.item_rows`, never
recomputed.

What never leaves: names, emails, organisations, countries, user and
panellist ids, the random in-app pseudonyms, and every timestamp (only the
round number says when). Rows are shuffled with a CSPRNG, so their order
says nothing about who answered when.

Pseudonyms, shuffling and k-anonymity: :mod:`delphi.exports.anonymity`.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select

from delphi.core.database import db
from delphi.core.models import (
    Indicator,
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
from rounds.kinds import KINDS, NO_CRITERION, option_text
from rounds.panel_attributes import panel_attributes

TIERS = ("deidentified", "comments", "statistics")

#: Panellist-level columns first, then the answer: the CSV writer merges each
#: group's few distinct values (see ``formats._coded_blocks``).
RATINGS_COLUMNS = ["pseudonym", "role", "region", "stakeholder_group", "round", "item_code",
                   "item_text", "criterion", "rating", "cannot_rate"]
COMMENTS_COLUMNS = ["pseudonym", "round", "item_code", "kind", "criterion", "text"]
ITEM_STAT_COLUMNS = ["round", "item_code", "item_text", "criterion", "n", "n_missing", "median",
                     "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement"]
ROUND_STAT_COLUMNS = ["round", "criterion", "invited", "started", "submitted", "response_rate",
                      "w", "w_uncorrected", "chi2", "df", "pvalue", "n_raters", "n_items",
                      "n_dropped", "too_few", "sm_w", "sm_statistic", "sm_df", "sm_pvalue",
                      "sm_n_raters", "w_default"]
STABILITY_COLUMNS = ["round", "item_code", "criterion"]
#: The answers table of each kind other than rating.
ANSWER_TABLES = {"estimate": "estimates", "probability": "probabilities", "year": "years",
                 "ranking": "rankings"}
#: The columns every answers table starts with (the kind's own columns follow,
#: then ``cannot_answer``).
ANSWER_LEAD_COLUMNS = ["pseudonym", "role", "region", "stakeholder_group", "round", "item_code",
                       "item_text"]
#: Integer columns of the kinds' answers (the others are numbers, ``ranking`` text).
_INTEGER_ANSWER_COLUMNS = {"year", "later"}
ITEM_COLUMNS = ["item_code", "item_text", "kind", "unit", "min", "max", "quantiles", "indicator",
                "baseline_value", "baseline_year", "target_value", "target_year", "event_year",
                "top_k", "options"]
KIND_STAT_COLUMNS = ["round", "item_code", "item_text", "kind", "n", "n_missing", "median", "q1",
                     "q3", "iqr", "dispersion", "dispersion_basis", "relative_iqr",
                     "aggregate_p10", "aggregate_p50", "aggregate_p90", "target_share",
                     "median_gap", "direction", "later_share", "n_later", "median_later",
                     "q1_later", "q3_later", "w", "w_uncorrected", "chi2", "df", "pvalue",
                     "w_previous", "w_change", "w_stable", "verdict"]
OPTION_STAT_COLUMNS = ["round", "item_code", "option", "option_text", "mean_rank", "rank_sum",
                       "top3_share"]


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
    """The study's items in code order: item_id, item_code, item_text, kind, params."""
    rows = db.session.execute(
        select(Item.id, Item.code, Item.text, Item.kind, Item.params)
        .where(Item.study_id == study.id).order_by(Item.code)
    ).all()
    return pd.DataFrame([(i, code, text, kind or "rating", dict(params or {}))
                         for i, code, text, kind, params in rows],
                        columns=["item_id", "item_code", "item_text", "kind", "params"])


def read_answers(study: Study) -> list[tuple[int, int, int, object]]:
    """The counted answers of the non-rating items of the study's closed rounds:
    ``(panellist_id, round, item_id, answer)`` (answer as stored, None = cannot
    answer), in no particular order."""
    return [tuple(row) for row in db.session.execute(_counted(
        select(Response.panellist_id, Round.number, Rating.item_id, Rating.answer)
        .select_from(Rating)
        .join(Response, Response.id == Rating.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Item, Item.id == Rating.item_id)
        .where(Round.study_id == study.id, Rating.criterion == NO_CRITERION,
               Item.kind != "rating")))]


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


@dataclass
class Panel:
    """The export's panellists: pseudonyms and generalised quasi-identifiers."""

    names: dict[int, str]
    generalised: pd.DataFrame  # indexed by panellist_id
    report: AnonymityReport


def panel(study: Study, panellist_ids, k: int) -> Panel:
    """Pseudonyms and k-anonymised quasi-identifiers of ``panellist_ids``: one
    generalisation for every table of the export, so a panellist shows the same
    combination in the ratings and in every answers table."""
    ids = sorted({int(p) for p in panellist_ids})
    names = {p: pseudonym(study.pseudonym_secret, p) for p in ids}
    generalised, report = k_anonymise(read_quasi_identifiers(study, ids), k)
    return Panel(names, generalised.set_index("panellist_id"), report)


def ratings_table(study: Study, k: int, raw: pd.DataFrame | None = None,
                  people: Panel | None = None
                  ) -> tuple[pd.DataFrame, AnonymityReport, dict[int, str]]:
    """The de-identified ratings table, shuffled; also the pseudonym map.
    ``raw``: :func:`read_ratings`' result, if already read; ``people``: the
    export's :func:`panel` (default: the panellists of ``raw``)."""
    if raw is None:
        raw = read_ratings(study)
    items = read_items(study).set_index("item_id")
    panellists = np.unique(raw["panellist_id"].to_numpy())
    if people is None:
        people = panel(study, panellists, k)
    names, report = people.names, people.report
    generalised = people.generalised

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


def kind_columns(items: pd.DataFrame) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Per kind other than rating: its answers table's own columns, in order,
    each with ``[(item_code, description)]`` from the registry
    (``Kind.export_columns`` of each item of that kind; the description may
    name an item's parameter, such as the event year)."""
    out: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for row in items.itertuples(index=False):
        if row.kind not in ANSWER_TABLES:
            continue
        columns = out.setdefault(row.kind, {})
        for column, description in KINDS[row.kind].export_columns(row.params):
            columns.setdefault(column, []).append((row.item_code, description))
    return {kind: out[kind] for kind in ANSWER_TABLES if kind in out}


def answers_tables(study: Study, people: Panel, answers=None,
                   items: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """One de-identified, shuffled answers table per kind other than rating that
    the study has items of (:data:`ANSWER_TABLES`). ``answers``:
    :func:`read_answers`' result, if already read."""
    items = read_items(study) if items is None else items
    answers = read_answers(study) if answers is None else answers
    by_id = {row.item_id: row for row in items.itertuples(index=False)}
    columns = kind_columns(items)
    records: dict[str, list[dict]] = {kind: [] for kind in columns}
    attributes = {int(pid): dict(zip(QUASI_IDENTIFIERS, values)) for pid, values in zip(
        people.generalised.index, people.generalised[list(QUASI_IDENTIFIERS)].itertuples(
            index=False, name=None))}
    nobody = dict.fromkeys(QUASI_IDENTIFIERS)
    for panellist_id, number, item_id, answer in answers:
        item = by_id.get(item_id)
        if item is None or item.kind not in records:
            continue
        pid = int(panellist_id)
        name = people.names.get(pid) or pseudonym(study.pseudonym_secret, pid)
        record = {"pseudonym": name, **attributes.get(pid, nobody),
                  "round": int(number), "item_code": item.item_code, "item_text": item.item_text}
        record.update(KINDS[item.kind].export_values(item.params, answer))
        record["cannot_answer"] = answer is None
        records[item.kind].append(record)
    out = {}
    for kind, own in columns.items():
        names = [*ANSWER_LEAD_COLUMNS, *own, "cannot_answer"]
        frame = pd.DataFrame(records[kind], columns=names)
        frame["round"] = frame["round"].astype("int64")
        frame["cannot_answer"] = frame["cannot_answer"].astype(bool)
        for column in own:
            if column == "ranking":
                frame[column] = frame[column].astype(object)
            elif column in _INTEGER_ANSWER_COLUMNS:
                frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
            else:
                frame[column] = pd.to_numeric(frame[column]).astype(float)
        for column in ("pseudonym", *QUASI_IDENTIFIERS, "item_code", "item_text"):
            frame[column] = frame[column].astype(object)
        out[ANSWER_TABLES[kind]] = shuffle(frame)
    return out


def items_table(study: Study, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every item of the study, in code order, with its kind and parameters
    (empty where a parameter does not belong to the kind). Ranking options are
    a JSON list ``[{"id", "text"}]`` (an option that is an item of the study
    also has ``"item"``: that item's code)."""
    items = read_items(study) if items is None else items
    study_items = {i.id: i for i in db.session.scalars(select(Item).where(Item.study_id == study.id))}
    indicators = {}
    wanted = {row.params.get("indicator") for row in items.itertuples(index=False)} - {None}
    if wanted:
        indicators = dict(db.session.execute(select(Indicator.id, Indicator.name).where(
            Indicator.id.in_([int(i) for i in wanted]))).all())
    records = []
    for row in items.itertuples(index=False):
        p = row.params
        baseline, target = p.get("baseline") or {}, p.get("target") or {}
        options = None
        if row.kind == "ranking":
            listed = []
            for option in p.get("options") or []:
                entry = {"id": option["id"], "text": option_text(option, None, study_items)}
                if "item" in option:
                    found = study_items.get(option["item"])
                    entry["item"] = found.code if found is not None else option["item"]
                listed.append(entry)
            options = json.dumps(listed, ensure_ascii=False)
        indicator = p.get("indicator")
        records.append({
            "item_code": row.item_code, "item_text": row.item_text, "kind": row.kind,
            "unit": p.get("unit") if row.kind == "estimate" else None,
            "min": p.get("min") if row.kind in ("estimate", "year") else None,
            "max": p.get("max") if row.kind in ("estimate", "year") else None,
            "quantiles": bool(p.get("quantiles")) if row.kind == "estimate" else None,
            "indicator": indicators.get(indicator, indicator) if indicator is not None else None,
            "baseline_value": baseline.get("value"), "baseline_year": baseline.get("year"),
            "target_value": target.get("value"), "target_year": target.get("year"),
            "event_year": p.get("event_year"), "top_k": p.get("top_k"), "options": options,
        })
    frame = pd.DataFrame(records, columns=ITEM_COLUMNS)
    for column in ("baseline_value", "target_value"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    for column in ("baseline_year", "target_year", "event_year", "top_k"):
        frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
    frame["quantiles"] = pd.array(frame["quantiles"].tolist(), dtype="boolean")
    for column in ("min", "max"):  # a bound as given: a year stays an integer
        frame[column] = pd.Series([r[column] for r in records], dtype=object, index=frame.index)
    return frame


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
    other_rows = [(number, r) for number, r in rows if r.kind != "rating"]
    rows = [(number, r) for number, r in rows if r.kind == "rating"]
    count_cols = [f"count_{v}" for v in range(1, points + 1)]
    records = []
    for number, r in rows:
        counts = (list(r.counts) + [0] * points)[:points]
        records.append((number, r.code, r.text, r.criterion, r.n, r.n_missing,
                        *(r.figure(name) for name in results.WITHHELD_FIGURES), *counts, r.verdict))
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
    for col in ("w", "w_uncorrected", "chi2", "pvalue", "response_rate", "sm_w", "sm_statistic",
                "sm_pvalue"):
        rounds[col] = pd.to_numeric(rounds[col], errors="coerce").astype(float)
    rounds["too_few"] = rounds["too_few"].fillna(False).astype(bool)
    for col in ("round", "invited", "started", "submitted"):
        rounds[col] = rounds[col].astype("int64")
    for col in ("df", "n_raters", "n_items", "n_dropped", "sm_df", "sm_n_raters"):
        rounds[col] = pd.array(pd.to_numeric(rounds[col], errors="coerce"), dtype="Int64")
    stab = pd.DataFrame(stability)
    if stab.empty:
        stab = pd.DataFrame(columns=STABILITY_COLUMNS)
    out = {"item_statistics": items, "round_statistics": rounds, "stability": stab}
    has_kinds = other_rows or db.session.scalar(select(func.count(Item.id)).where(
        Item.study_id == study.id, Item.kind != "rating"))
    if has_kinds:
        out.update(kind_statistics_tables(study, other_rows))
    return out


def kind_statistics_tables(study: Study, rows) -> dict[str, pd.DataFrame]:
    """``kind_statistics`` (one row per round × non-rating item: n, quartiles and
    the kind's figures, empty where a figure is not the kind's) and
    ``ranking_option_statistics`` (per round × ranking item × option), from the
    frozen rows ``[(round number, ItemRow)]`` (:func:`rounds.results.kind_figures`
    and the row's frozen details; nothing is recomputed)."""
    study_items = {i.id: i for i in db.session.scalars(select(Item).where(Item.study_id == study.id))}
    records, options = [], []
    for number, r in rows:
        figures = results.kind_figures(r)
        d = r.details
        aggregate = figures.get("aggregate") or {}
        year = r.kind == "year"
        records.append({
            "round": number, "item_code": r.code, "item_text": r.text, "kind": r.kind,
            "n": r.n, "n_missing": r.n_missing, "median": r.median, "q1": r.q1, "q3": r.q3,
            "iqr": r.iqr, "dispersion": figures.get("dispersion"),
            "dispersion_basis": d.get("dispersion_basis") if r.kind == "estimate" else None,
            "relative_iqr": d.get("relative_iqr") if r.kind == "estimate" else None,
            "aggregate_p10": aggregate.get("p10"), "aggregate_p50": aggregate.get("p50"),
            "aggregate_p90": aggregate.get("p90"), "target_share": figures.get("target_share"),
            "median_gap": figures.get("median_gap"),
            "direction": d.get("direction") if r.kind == "estimate" else None,
            "later_share": figures.get("later_share"),
            "n_later": d.get("n_later") if year else None,
            "median_later": figures.get("median_later") if year else None,
            "q1_later": figures.get("q1_later") if year else None,
            "q3_later": figures.get("q3_later") if year else None,
            "w": figures.get("w"),
            "w_uncorrected": d.get("w_uncorrected") if r.kind == "ranking" else None,
            "chi2": figures.get("chi2"), "df": figures.get("df"), "pvalue": figures.get("pvalue"),
            "w_previous": d.get("w_previous") if r.kind == "ranking" else None,
            "w_change": d.get("w_change") if r.kind == "ranking" else None,
            "w_stable": d.get("w_stable") if r.kind == "ranking" else None,
            "verdict": r.verdict,
        })
        by_id = {o["id"]: o for o in (r.params or {}).get("options") or []}
        for o in figures.get("options") or []:
            option = by_id.get(o["option"])
            options.append({
                "round": number, "item_code": r.code, "option": o["option"],
                "option_text": option_text(option, None, study_items) if option else None,
                "mean_rank": o.get("mean_rank"), "rank_sum": o.get("rank_sum"),
                "top3_share": o.get("top3_share")})
    kinds = pd.DataFrame(records, columns=KIND_STAT_COLUMNS)
    for col in ("round", "n", "n_missing"):
        kinds[col] = kinds[col].astype("int64")
    for col in ("n_later", "df"):
        kinds[col] = pd.array(pd.to_numeric(kinds[col]), dtype="Int64")
    for col in ("median_later", "q1_later", "q3_later", "w_stable"):
        kinds[col] = pd.array(kinds[col].tolist(), dtype="boolean")
    for col in ("median", "q1", "q3", "iqr", "dispersion", "relative_iqr", "aggregate_p10",
                "aggregate_p50", "aggregate_p90", "target_share", "median_gap", "later_share",
                "w", "w_uncorrected", "chi2", "pvalue", "w_previous", "w_change"):
        kinds[col] = pd.to_numeric(kinds[col]).astype(float)
    for col in ("dispersion_basis", "direction"):
        kinds[col] = kinds[col].astype(object)
    per_option = pd.DataFrame(options, columns=OPTION_STAT_COLUMNS)
    for col in ("round", "option"):
        per_option[col] = per_option[col].astype("int64")
    for col in ("mean_rank", "rank_sum", "top3_share"):
        per_option[col] = pd.to_numeric(per_option[col]).astype(float)
    return {"kind_statistics": kinds, "ranking_option_statistics": per_option}


def build_tables(study: Study, tier: str, *, k: int = 5) -> Tables:
    """All tables of a tier, timed in seconds: "read" (the ratings query) and
    "build" (everything else: other queries, reshaping, anonymising, shuffling)."""
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
    started = time.perf_counter()
    frames: dict[str, pd.DataFrame] = {}
    report = None
    read = 0.0
    items = read_items(study)
    if tier in ("deidentified", "comments"):
        raw = read_ratings(study)
        answers = read_answers(study)
        read = time.perf_counter() - started
        people = panel(study, [*raw["panellist_id"].tolist(), *(a[0] for a in answers)], k)
        ratings, report, names = ratings_table(study, k, raw, people)
        frames["ratings"] = ratings
        frames.update(answers_tables(study, people, answers, items))
        if tier == "comments":
            frames["comments"] = comments_table(study, names)
    frames["items"] = items_table(study, items)
    frames.update(statistics_tables(study))
    return Tables(tier=tier, frames=frames, anonymity=report,
                  timings={"read": read, "build": time.perf_counter() - started - read})

