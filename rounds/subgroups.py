"""Subgroup tables of a closed round: do stakeholder groups, regions, roles or
language groups rate an item differently?

The counted ratings come from the adapter, the panellists' attributes from
:func:`rounds.panel_attributes.panel_attributes`, and the statistics from
:func:`analysis.subgroups`; cells with fewer answers than the policy's
``min_cell`` are suppressed there (with complementary suppression), and no
group totals are given, so no suppressed cell can be recovered by
subtraction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

import analysis
from analysis.strata import translation_flag
from delphi.core.database import db
from delphi.core.errors import StateError
from delphi.core.models import Item, Round, RoundStatus
from delphi.core.policy import DEFAULT_POLICY, Policy
from rounds import computations
from rounds.adapter import RoundData, round_matrices
from rounds.panel_attributes import panel_attributes
from rounds.studies import agree_band, consensus_rule

#: Dimensions of the subgroup tables (panellist attributes).
SUBGROUP_DIMENSIONS = ("stakeholder_group", "region", "role", "language")
#: The strata a language difference is weighed against (:func:`translation_flags`).
TRANSLATION_CONTROLS = ("role", "region")


@dataclass(frozen=True)
class SubgroupTable:
    dimension: str
    criterion: str
    groups: list
    #: per item: {"item_id", "code", "text", "cells": {group: cell dict}, "test": dict}
    rows: list = field(default_factory=list)


def subgroup_tables(rnd: Round, arrays: RoundData | None = None, *, language: str | None = None,
                    policy: Policy = DEFAULT_POLICY) -> dict[str, list[SubgroupTable]]:
    """``{dimension: [SubgroupTable per criterion]}`` of a closed round, item
    texts in ``language``.

    The tables of a frozen round are computed once and stored
    (:mod:`rounds.computations`, key ``subgroups:min_cell=<policy.min_cell>``):
    every worker reads them with one query. The figures are JSON values (NaN as
    None), the same whether computed now or read."""
    if rnd.status is not RoundStatus.closed:
        raise StateError(_("The statistics of a round are frozen when it closes; "
                           "this round is not closed yet."))
    stamp = computations.stamp_of([rnd], rnd.study)
    if stamp is None:
        return _tables_in(computations.normal(_tables_data(rnd, arrays, policy)), language)
    key = f"subgroups:min_cell={policy.min_cell}"
    return computations.remembered((rnd.id, key, stamp, language), lambda: _tables_in(
        computations.stored(rnd, key, stamp, lambda: _tables_data(rnd, arrays, policy)),
        language))


def _tables_data(rnd: Round, arrays: RoundData | None, policy: Policy) -> dict[str, list[dict]]:
    """The tables without the items' codes and texts (language-independent)."""
    study = rnd.study
    arrays = arrays or round_matrices(rnd)
    attributes = panel_attributes(study)
    item_ids = [int(i) for i in arrays.item_ids]
    rule = consensus_rule(study)
    scale = (1, study.scale_points)
    agree = agree_band(study)
    out: dict[str, list[dict]] = {}
    for dimension in SUBGROUP_DIMENSIONS:
        labels = [attributes.get(int(pid), {}).get(dimension, "unknown")
                  for pid in arrays.panellist_ids]
        tables = []
        for criterion in study.criteria or []:
            matrix = arrays.matrices.get(criterion)
            if matrix is None or matrix.shape[0] == 0 or not item_ids:
                tables.append({"criterion": criterion, "groups": [], "rows": []})
                continue
            result = analysis.subgroups(matrix, labels, min_cell=policy.min_cell, scale=scale,
                                        agree=agree, rule=rule, items=item_ids)
            cells: dict[int, dict] = {}
            for rec in result.cells.to_dict("records"):
                cells.setdefault(rec["item"], {})[rec["group"]] = rec
            tests = {rec["item"]: rec for rec in result.tests.to_dict("records")}
            rows = [{"item_id": item_id, "cells": cells.get(item_id, {}),
                     "test": tests.get(item_id, {})} for item_id in item_ids]
            tables.append({"criterion": criterion, "groups": sorted(set(labels)), "rows": rows})
        out[dimension] = tables
    return out


def _tables_in(data: dict[str, list[dict]], language: str | None) -> dict[str, list[SubgroupTable]]:
    """The stored tables with each item's code and text in ``language``."""
    item_ids = {row["item_id"] for tables in data.values() for t in tables for row in t["rows"]}
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(item_ids)))} \
        if item_ids else {}
    out: dict[str, list[SubgroupTable]] = {}
    for dimension, tables in data.items():
        out[dimension] = []
        for table in tables:
            rows = []
            for row in table["rows"]:
                item = items.get(row["item_id"])
                rows.append({"item_id": row["item_id"],
                             "code": item.code if item else str(row["item_id"]),
                             "text": item.text_in(language) if item else "",
                             "cells": row["cells"], "test": row["test"]})
            out[dimension].append(SubgroupTable(dimension, table["criterion"],
                                                list(table["groups"]), rows))
    return out


def diverging_pairs(tables: dict[str, list[SubgroupTable]]) -> dict[tuple[int, str], list[str]]:
    """``{(item_id, criterion): [dimensions where groups diverge]}``."""
    out: dict[tuple[int, str], list[str]] = {}
    for dimension, per_criterion in tables.items():
        for table in per_criterion:
            for row in table.rows:
                if row["test"].get("diverges"):
                    out.setdefault((row["item_id"], table.criterion), []).append(dimension)
    return out


def _tested(row: dict) -> dict:
    """A row's Kruskal-Wallis figures: ``{"h", "pvalue", "n"}`` (n = ratings in the
    cells tested, i.e. not suppressed)."""
    test = row.get("test") or {}
    n = sum(int(c["n"]) for c in (row.get("cells") or {}).values()
            if not c.get("suppressed") and c.get("n") is not None)
    return {"h": test.get("kw_statistic"), "pvalue": test.get("kw_pvalue"), "n": n}


def translation_flags(tables: dict[str, list[SubgroupTable]], *,
                      alpha: float = 0.05) -> dict[tuple[int, str], dict]:
    """``{(item_id, criterion): flag}`` from the subgroup tables: whether the
    language groups diverge more than the role and region groups
    (:func:`analysis.strata.translation_flag`, on cells that are not suppressed)."""
    if "language" not in tables:
        return {}
    others = {dim: {(row["item_id"], t.criterion): _tested(row)
                    for t in tables.get(dim, []) for row in t.rows}
              for dim in TRANSLATION_CONTROLS}
    out = {}
    for table in tables["language"]:
        for row in table.rows:
            key = (row["item_id"], table.criterion)
            out[key] = translation_flag(
                _tested(row), {dim: others[dim].get(key, {}) for dim in TRANSLATION_CONTROLS},
                alpha=alpha)
    return out
