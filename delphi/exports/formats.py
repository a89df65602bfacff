"""Writing the export tables as CSV, XLSX or JSON.

Spreadsheet formula injection: a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return could be run as a formula by a
spreadsheet. In CSV and XLSX such a cell gets a leading apostrophe
(``'=HYPERLINK(...)``), following OWASP's "CSV injection" advice; in XLSX the
cell is also written with the string type, never as a formula. Only text is
escaped: numbers stay numbers (``-0.5`` is a number, not a formula). JSON is
not opened by spreadsheets and keeps the text as it is.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

FORMATS = ("csv", "xlsx", "json")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's row limit, less the header row.
XLSX_MAX_ROWS = 1_048_575


def escape_text(value: str) -> str:
    """One text cell, neutralised if it could start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return not pd.api.types.is_numeric_dtype(series.cat.categories.dtype)
    return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a formula.

    Categorical columns are escaped on their categories (cheap for millions
    of rows); object columns cell by cell, strings only (numbers in an object
    column are left alone).
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if not pd.api.types.is_numeric_dtype(cats.dtype):
                new = [escape_text(c) for c in cats]
                if len(set(new)) < len(new):
                    # Two texts escape alike ("=1+1" and "'=1+1"): the cells still
                    # differ by their other columns (an item's code), the texts merge.
                    codes = col.cat.codes.to_numpy()
                    values = np.array(new + [None], dtype=object)[np.where(codes < 0, len(new), codes)]
                    out[name] = pd.Categorical(values, categories=list(dict.fromkeys(new)))
                elif new != list(cats):
                    out[name] = col.cat.rename_categories(new)
        elif _is_text(col):  # cell by cell, keeping numbers as they are (no dtype inference)
            out[name] = pd.Series([escape_text(v) for v in col.tolist()], index=col.index,
                                  dtype=object)
    return out


# -- CSV -------------------------------------------------------------------------

def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (no BOM, CRLF as RFC 4180), formula cells escaped; empty cell = missing.

    Booleans are written ``true``/``false`` (a missing one as an empty cell); floats with full precision (their
    shortest round-trip representation). Tables without float columns (the
    ratings, millions of rows of few distinct values) go through
    :func:`_coded_csv`; others through pandas.
    """
    out = escape_formulas(frame)
    if len(out) > 1000 and not any(pd.api.types.is_float_dtype(out[c].dtype) for c in out.columns):
        return _coded_csv(out)
    for name in out.columns:
        if out[name].dtype == bool:
            out[name] = np.where(out[name].to_numpy(), "true", "false")
        elif pd.api.types.is_bool_dtype(out[name].dtype):  # nullable: missing = empty
            out[name] = [_csv_field(v) for v in out[name].astype(object)]
    buffer = io.StringIO()
    # CRLF (RFC 4180): the writer then quotes any field holding a CR or an LF.
    out.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8")


def _csv_field(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    text = str(value.item() if isinstance(value, np.generic) else value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A column as integer codes and the CSV text of each code."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        texts = [_csv_field(c) for c in series.cat.categories] + [""]
        return np.where(codes < 0, len(texts) - 1, codes), texts
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = [_csv_field(u) for u in uniques] + [""]
    return np.where(codes < 0, len(texts) - 1, codes).astype(np.int64), texts


_BLOCK_LIMIT = 50_000


def _coded_csv(frame: pd.DataFrame) -> bytes:
    """CSV of a table of few distinct values per column, fast for millions of rows.

    Adjacent columns are merged into blocks while their distinct
    combinations stay under 50,000 (integer arithmetic on the codes with
    :func:`pandas.factorize`, and one string per distinct combination); each
    row is then one concatenation per block. Same output as the csv module
    with minimal quoting.
    """
    blocks: list[tuple[np.ndarray, list[str]]] = []
    codes, texts = None, None
    for name in frame.columns:
        c_codes, c_texts = _column_codes(frame[name])
        if codes is None:
            codes, texts = c_codes, c_texts
            continue
        combined = codes * len(c_texts) + c_codes
        new_codes, uniques = pd.factorize(combined)
        if len(uniques) > _BLOCK_LIMIT:
            blocks.append((codes, texts))
            codes, texts = c_codes, c_texts
            continue
        left, right = np.divmod(uniques, len(c_texts))
        texts = [texts[a] + "," + c_texts[b] for a, b in zip(left.tolist(), right.tolist())]
        codes = new_codes.astype(np.int64)
    if codes is not None:
        blocks.append((codes, texts))
    header = ",".join(_csv_field(str(c)) for c in frame.columns)
    if not blocks:
        return (header + "\r\n").encode("utf-8")
    rows = [blocks[0][1][i] for i in blocks[0][0].tolist()]
    for b_codes, b_texts in blocks[1:]:
        rows = [row + "," + b_texts[i] for row, i in zip(rows, b_codes.tolist())]
    return (header + "\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8")


# -- XLSX ------------------------------------------------------------------------

def _cell_values(frame: pd.DataFrame):
    """Rows of plain Python values (None for missing) for openpyxl."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or \
                pd.api.types.is_string_dtype(col.dtype):
            values = col.astype(object).where(col.notna(), None).tolist()
        elif col.dtype == bool:
            values = col.tolist()
        else:
            values = col.astype(object).where(col.notna(), None).tolist()
            values = [v.item() if isinstance(v, np.generic) else v for v in values]
        columns.append(values)
    return zip(*columns) if columns else iter(())


def sheet_names(name: str, rows: int) -> list[str]:
    """The sheet(s) of a table: one, or ``name``, ``name (2)``, ... past Excel's row limit."""
    parts = max(1, -(-rows // XLSX_MAX_ROWS))
    return [name if i == 0 else f"{name} ({i + 1})" for i in range(parts)]


def to_xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, one sheet per table (split past 1,048,575 rows).

    Text cells are written as strings (``data_type = "s"``), escaped as in CSV.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for name, frame in tables.items():
        out = escape_formulas(frame)
        text_cols = [i for i, c in enumerate(out.columns) if _is_text(out[c])]
        rows = list(_cell_values(out))
        for part, title in enumerate(sheet_names(name, len(rows))):
            sheet = workbook.create_sheet(title=title[:31])
            sheet.append([str(c) for c in out.columns])
            for row in rows[part * XLSX_MAX_ROWS:(part + 1) * XLSX_MAX_ROWS]:
                if text_cols:
                    row = list(row)
                    for i in text_cols:
                        value = row[i]
                        if isinstance(value, str) and value.startswith("'"):
                            cell = WriteOnlyCell(sheet, value=value)
                            cell.data_type = "s"
                            row[i] = cell
                sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- JSON ------------------------------------------------------------------------

def to_json(frame: pd.DataFrame) -> bytes:
    """A JSON array of row objects; missing = null; text unescaped.

    Tables with float columns go through :func:`json.dumps` (floats as their
    shortest round-trip repr, so statistics come back exactly); the large
    ratings table (integers and text) through pandas' fast writer.
    """
    has_float = any(pd.api.types.is_float_dtype(frame[c].dtype) for c in frame.columns)
    if not has_float:
        return frame.to_json(orient="records", force_ascii=False).encode("utf-8")
    columns = list(frame.columns)
    records = [{c: (None if isinstance(v, float) and v != v else v) for c, v in zip(columns, row)}
               for row in _cell_values(frame)]
    return json.dumps(records, ensure_ascii=False, allow_nan=False).encode("utf-8")
