"""Exports without the database: k-anonymity, scrubbing, formula escaping, pseudonyms."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delphi.exports.anonymity import (
    SUPPRESSED,
    k_anonymise,
    pseudonym,
    secure_permutation,
)
from delphi.exports.formats import escape_formulas, to_csv, to_json, to_xlsx
from delphi.exports.scrub import EMAIL_MARK, PHONE_MARK, URL_MARK, scrub

# -- k-anonymity -------------------------------------------------------------------

def _panel(rows):
    return pd.DataFrame(rows, columns=["panellist_id", "role", "region", "stakeholder_group"])


def _group_sizes(frame):
    return frame.groupby(["role", "region", "stakeholder_group"]).size()


def test_large_groups_are_kept_and_small_ones_generalised():
    rows = [(i, "team_member", "Europe", "research") for i in range(7)]
    rows += [(7, "team_member", "Africa", "farmers"), (8, "team_member", "Africa", "ngo"),
             (9, "team_member", "Asia & Pacific", "farmers"), (10, "global_leader", "Africa", "funder"),
             (11, "team_member", "Africa", "government")]
    out, report = k_anonymise(_panel(rows), 5)
    assert _group_sizes(out).min() >= 5
    kept = out[out["panellist_id"] < 7]
    assert (kept[["role", "region", "stakeholder_group"]] == ["team_member", "Europe", "research"]).all().all()
    assert sum(report.suppressed.values()) > 0
    assert not report.all_suppressed


def test_a_lonely_panellist_is_topped_up_not_everybody_suppressed():
    rows = [(i, "team_member", "Europe", "research") for i in range(20)]
    rows.append((20, "global_leader", "Africa", "farmers"))
    out, report = k_anonymise(_panel(rows), 5)
    assert _group_sizes(out).min() >= 5
    assert report.topped_up == 4
    assert (out["stakeholder_group"] == "research").sum() == 16


def test_fewer_panellists_than_k_suppresses_everything():
    rows = [(i, "team_member", f"R{i}", "research") for i in range(3)]
    out, report = k_anonymise(_panel(rows), 5)
    assert report.all_suppressed
    assert (out[["role", "region", "stakeholder_group"]] == SUPPRESSED).all().all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["team_member", "global_leader", "regional_representative"]),
                          st.sampled_from(["Africa", "Europe", "Asia & Pacific", "North America"]),
                          st.sampled_from(["research", "farmers", "ngo", "government", "funder"])),
                min_size=5, max_size=80),
       st.integers(min_value=2, max_value=6))
def test_every_combination_is_shared_by_k_panellists(values, k):
    rows = [(i, *v) for i, v in enumerate(values)]
    out, _report = k_anonymise(_panel(rows), k)
    assert len(out) == len(rows)
    if len(rows) >= k:
        assert _group_sizes(out).min() >= k
    # Generalisation only ever replaces a value by "suppressed".
    original = _panel(rows).set_index("panellist_id")
    for attr in ("role", "region", "stakeholder_group"):
        changed = out.set_index("panellist_id")[attr] != original[attr]
        assert (out.set_index("panellist_id")[attr][changed] == SUPPRESSED).all()


# -- pseudonyms and shuffling ----------------------------------------------------------

def test_pseudonym_is_a_keyed_hash():
    a = pseudonym("secret-one", 42)
    assert a == pseudonym("secret-one", 42)
    assert a != pseudonym("secret-two", 42)
    assert a != pseudonym("secret-one", 43)
    assert len(a) == 16 and int(a, 16) >= 0
    assert "42" not in a or a != "42"


def test_secure_permutation_is_a_permutation():
    perm = secure_permutation(10_000)
    assert sorted(perm.tolist()) == list(range(10_000))
    assert not np.array_equal(perm, np.arange(10_000))


# -- scrubbing -----------------------------------------------------------------------------

SEEDED_CONTACTS = [
    ("email", "write to jane.doe@agro-lab.example.org please"),
    ("email", "Contact: J.Smith+delphi@univ.ac.uk."),
    ("email", "mail me at pierre [at] cirad [dot] fr"),
    ("email", "ana(at)inta(dot)gob(dot)ar"),
    ("phone", "call +33 1 23 45 67 89 tomorrow"),
    ("phone", "phone (555) 123-4567"),
    ("phone", "tel. 01 23 45 67 89"),
    ("phone", "+254 712 345 678"),
    ("phone", "0049-30-1234567"),
    ("phone", "my mobile is 555.123.4567"),
    ("url", "see https://example.org/report?id=3"),
    ("url", "details on www.4p1000.org/task-forces"),
    ("url", "http://192.168.0.1/admin"),
    ("url", "our site soil-lab.fr/team"),
]
KEEP = [
    "Targets for 2030 and 2050: +0.4 % per year, i.e. 4 per 1000.",
    "Between 2020-2030 the baseline was 1 000 000 ha (35%).",
    "Item I03 ranks above I12; score -0.5 on average.",
]


def test_scrub_recall_on_seeded_contacts():
    marks = {"email": EMAIL_MARK, "phone": PHONE_MARK, "url": URL_MARK}
    missed = [text for kind, text in SEEDED_CONTACTS if marks[kind] not in scrub(text)]
    assert missed == []
    # nothing of the contact survives
    assert "jane.doe" not in scrub(SEEDED_CONTACTS[0][1])
    assert "4567" not in scrub("phone (555) 123-4567")


def test_scrub_keeps_plain_numbers_and_text():
    for text in KEEP:
        assert scrub(text) == text


# -- formula escaping --------------------------------------------------------------

FRAME = pd.DataFrame({
    "text": ["=1+1", "+cmd", "-x", "@SUM(A1)", "\tTAB", "\rCR", "plain", "a=b"],
    "number": [-0.5, 1.0, -2.0, 0.0, 3.5, -1.25, 2.0, 7.0],
    "count": pd.array([-1, 2, 3, 4, 5, 6, 7, None], dtype="Int64"),
})


def test_csv_escapes_text_cells_only():
    rows = list(csv.reader(io.StringIO(to_csv(FRAME).decode("utf-8"))))
    header, body = rows[0], rows[1:]
    text = [r[header.index("text")] for r in body]
    assert text[:6] == ["'=1+1", "'+cmd", "'-x", "'@SUM(A1)", "'\tTAB", "'\rCR"]
    assert text[6:] == ["plain", "a=b"]
    assert [r[header.index("number")] for r in body][:2] == ["-0.5", "1.0"]
    assert body[0][header.index("count")] == "-1"
    assert body[7][header.index("count")] == ""


def test_xlsx_escaped_cells_are_strings_and_numbers_stay_numbers():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(to_xlsx({"t": FRAME})))
    sheet = book["t"]
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    assert cells[0][0].value == "'=1+1" and cells[0][0].data_type == "s"
    assert cells[3][0].value == "'@SUM(A1)" and cells[3][0].data_type == "s"
    assert cells[0][1].value == -0.5 and cells[0][1].data_type == "n"
    assert all(row[0].data_type != "f" for row in cells)


def test_escaping_categorical_columns_escapes_categories():
    frame = pd.DataFrame({"c": pd.Categorical(["=A", "B", "=A"])})
    assert escape_formulas(frame)["c"].tolist() == ["'=A", "B", "'=A"]


def test_json_keeps_text_and_nulls():
    import json

    data = json.loads(to_json(FRAME))
    assert data[0]["text"] == "=1+1" and data[0]["number"] == -0.5
    assert data[7]["count"] is None


@pytest.mark.parametrize("value", ["=", "+", "-", "@"])
def test_each_formula_start_is_escaped(value):
    frame = pd.DataFrame({"t": [value + "HYPERLINK(\"http://evil\")"]})
    assert to_csv(frame).decode().splitlines()[1].lstrip('"').startswith("'" + value)


def test_fast_csv_writer_matches_the_csv_module():
    """Large integer/text tables take the coded writer: same text as csv.writer."""
    rng = np.random.default_rng(1)
    n = 5000
    texts = ['=cmd, "quoted"', "line\nbreak", "plain", "comma, here", "-minus", "\rcr"]
    frame = pd.DataFrame({
        "who": pd.Categorical.from_codes(rng.integers(0, 300, n), categories=[f"p{i}" for i in range(300)]),
        "round": rng.integers(1, 4, n),
        "text": pd.Categorical.from_codes(rng.integers(0, len(texts), n), categories=texts),
        "rating": pd.array(np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 6, n)), dtype="Int64"),
        "flag": rng.random(n) < 0.5,
    })
    produced = to_csv(frame).decode("utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        text = row.text if not row.text.startswith(("=", "-", "\r")) else "'" + row.text
        writer.writerow([row.who, row.round, text, "" if row.rating is pd.NA else row.rating,
                         "true" if row.flag else "false"])
    assert produced == buffer.getvalue()
    assert list(csv.reader(io.StringIO(produced)))[1:] == list(csv.reader(io.StringIO(buffer.getvalue())))[1:]


# -- the streaming XLSX writer, read back by openpyxl and pandas ---------------------

HOSTILE = pd.DataFrame({
    "text": ["a & b < c > d", "  leading and trailing  ", "bell\x07 and\x1f unit", "_x0041_ stays",
             "naïve café ✓", None, "", "line\nbreak"],
    "flag": pd.array([True, False, None, True, False, True, None, False], dtype="boolean"),
    "ratio": [0.1, 1 / 3, float("nan"), -2.5e-7, 12345678.125, 0.0, 2.0, -1.0],
    "count": pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64"),
    "group": pd.Categorical(["ngo", "farmers", "ngo", None, "ngo", "=evil", "farmers", "ngo"]),
})


def _read_back(data: bytes, sheet: str) -> list[tuple]:
    """The sheet's rows as a spreadsheet shows them. Characters XML cannot hold
    are stored as ECMA-376's ``_xHHHH_`` escapes (ST_Xstring, Part 1 §22.9.2.19),
    which Excel decodes; openpyxl decodes only the escaped underscore
    (``_x005F_``), so the control characters are decoded here."""
    from openpyxl import load_workbook

    def shown(value):
        if not isinstance(value, str):
            return value
        return re.sub("_x(00[01][0-9A-Fa-f])_", lambda m: chr(int(m.group(1), 16)), value)

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(shown(v) for v in row) for row in book[sheet].iter_rows(values_only=True)]


def test_xlsx_holds_every_value_as_it_is():
    rows = _read_back(to_xlsx({"t": HOSTILE}), "t")
    assert rows[0] == tuple(HOSTILE.columns)
    expected = []
    for record in HOSTILE.astype(object).to_dict("records"):
        cells = []
        for name, value in record.items():
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                cells.append(None)
            elif name == "group" and value == "=evil":
                cells.append("'=evil")
            else:
                cells.append(value)
        expected.append(tuple(cells))
    assert rows[1:] == expected
    assert rows[1][2] == 0.1 and rows[2][2] == 1 / 3  # floats to the last digit


def test_xlsx_reads_back_in_pandas_as_the_same_table():
    frame = pd.DataFrame({"panellist": [f"P{i:04d}" for i in range(500)],
                          "rating": pd.array([i % 5 + 1 if i % 7 else None for i in range(500)],
                                             dtype="Int64")})
    back = pd.read_excel(io.BytesIO(to_xlsx({"ratings": frame})), sheet_name="ratings",
                         dtype={"panellist": str, "rating": "Int64"})
    pd.testing.assert_frame_equal(back, frame)


def test_xlsx_splits_a_table_past_the_row_limit(monkeypatch):
    from delphi.exports import formats

    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 3)
    frame = pd.DataFrame({"n": list(range(8))})
    data = to_xlsx({"big": frame, "small": pd.DataFrame({"x": ["only"]})})
    assert formats.sheet_names("big", 8) == ["big", "big (2)", "big (3)"]
    assert [r[0] for r in _read_back(data, "big")] == ["n", 0, 1, 2]
    assert [r[0] for r in _read_back(data, "big (2)")] == ["n", 3, 4, 5]
    assert [r[0] for r in _read_back(data, "big (3)")] == ["n", 6, 7]
    assert _read_back(data, "small") == [("x",), ("only",)]


def test_xlsx_of_the_same_tables_is_the_same_file():
    assert to_xlsx({"t": HOSTILE}) == to_xlsx({"t": HOSTILE.copy()})
