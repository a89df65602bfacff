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
import re
import zipfile

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
    """:func:`write_csv` into bytes."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, target) -> None:
    """UTF-8 CSV (no BOM, CRLF as RFC 4180) to the binary file ``target``,
    formula cells escaped; empty cell = missing.

    Booleans are written ``true``/``false`` (a missing one as an empty cell); floats with full precision (their
    shortest round-trip representation). Tables without float columns (the
    ratings, millions of rows of few distinct values) go through
    :func:`_coded_blocks`, 100,000 rows at a time (so the text of the whole
    table is never held at once); others through pandas.
    """
    out = escape_formulas(frame)
    if len(out) > 1000 and not any(pd.api.types.is_float_dtype(out[c].dtype) for c in out.columns):
        _write_coded_csv(out, target)
        return
    for name in out.columns:
        if out[name].dtype == bool:
            out[name] = np.where(out[name].to_numpy(), "true", "false")
        elif pd.api.types.is_bool_dtype(out[name].dtype):  # nullable: missing = empty
            out[name] = [_csv_field(v) for v in out[name].astype(object)]
    buffer = io.StringIO()
    # CRLF (RFC 4180): the writer then quotes any field holding a CR or an LF.
    out.to_csv(buffer, index=False, lineterminator="\r\n")
    target.write(buffer.getvalue().encode("utf-8"))


def _csv_field(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    text = str(value.item() if isinstance(value, np.generic) else value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_codes(series: pd.Series, field=None) -> tuple[np.ndarray, list[str]]:
    """A column as integer codes and the text of each code (``field(value)``:
    a CSV field by default; missing values get ``field(None)``)."""
    field = field or _csv_field
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        texts = [field(c) for c in series.cat.categories] + [field(None)]
        return np.where(codes < 0, len(texts) - 1, codes), texts
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = [field(u) for u in uniques] + [field(None)]
    return np.where(codes < 0, len(texts) - 1, codes).astype(np.int64), texts


_BLOCK_LIMIT = 50_000
#: Rows turned into text at a time by :func:`_coded_rows` (bounded memory).
_CHUNK_ROWS = 100_000


def _coded_blocks(frame: pd.DataFrame, field, sep: str) -> list[tuple[np.ndarray, list[str]]]:
    """The columns of ``frame`` as blocks of codes, each code the text of its
    columns' values joined by ``sep``.

    Adjacent columns are merged into one block while their distinct
    combinations stay under 50,000 (integer arithmetic on the codes with
    :func:`pandas.factorize`, and one string per distinct combination), so a
    row is then one concatenation per block, fast for millions of rows of few
    distinct values.
    """
    blocks: list[tuple[np.ndarray, list[str]]] = []
    codes, texts = None, None
    for name in frame.columns:
        c_codes, c_texts = _column_codes(frame[name], field)
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
        texts = [texts[a] + sep + c_texts[b] for a, b in zip(left.tolist(), right.tolist())]
        codes = new_codes.astype(np.int64)
    if codes is not None:
        blocks.append((codes, texts))
    return blocks


def _coded_rows(blocks, start: int, stop: int, sep: str) -> list[str]:
    """Rows ``start:stop`` of :func:`_coded_blocks` as texts."""
    first_codes, first_texts = blocks[0]
    rows = [first_texts[i] for i in first_codes[start:stop].tolist()]
    for b_codes, b_texts in blocks[1:]:
        rows = [row + sep + b_texts[i] for row, i in zip(rows, b_codes[start:stop].tolist())]
    return rows


def _write_coded_csv(frame: pd.DataFrame, target) -> None:
    """CSV of a table of few distinct values per column, fast for millions of
    rows (:func:`_coded_blocks`), written in chunks. Same output as the csv
    module with minimal quoting."""
    target.write((",".join(_csv_field(str(c)) for c in frame.columns) + "\r\n").encode("utf-8"))
    blocks = _coded_blocks(frame, _csv_field, ",")
    for start in range(0, len(frame), _CHUNK_ROWS) if blocks else ():
        rows = _coded_rows(blocks, start, min(len(frame), start + _CHUNK_ROWS), ",")
        target.write(("\r\n".join(rows) + "\r\n").encode("utf-8"))


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


# The workbook is written part by part as SpreadsheetML (ECMA-376 Part 1,
# §18): a streaming writer of our own, because openpyxl's write-only mode and
# XlsxWriter's constant-memory mode build one Python object per cell, some
# ten times slower than the CSV of the same 1.2 M rows. The rows come from the
# same coded blocks as the CSV (each distinct cell written once, as XML), the
# sheets are streamed into the ZIP 100,000 rows at a time, and the texts go to
# the shared-strings part, so a text cell is always a string (``t="s"``),
# never a formula. Read back by openpyxl and pandas in the tests.
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Characters XML 1.0 cannot hold, written as ECMA-376's ``_xHHHH_`` escape.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile("_(x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    """``text`` for an XML element of the workbook: an underscore that would
    read as an ``_xHHHH_`` escape is itself escaped (``_x005F_``), then the
    characters XML cannot hold are escaped, then ``&``, ``<`` and ``>``."""
    text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    text = _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xlsx_field(strings: dict[str, int]):
    """The function writing one value as a cell: a number, a boolean, an empty
    cell for a missing value, or a shared string (registered in ``strings``)."""
    def cell(value) -> str:
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
            return "<c/>"
        if isinstance(value, bool):
            return f'<c t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (int, float)):
            return f"<c><v>{value!r}</v></c>"
        index = strings.setdefault(str(value), len(strings))
        return f'<c t="s"><v>{index}</v></c>'
    return cell


def _shared_strings(strings: dict[str, int]) -> str:
    items = "".join(
        f'<si><t xml:space="preserve">{_xml_text(text)}</t></si>' for text in strings)
    return f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{items}</sst>'


def _package_parts(titles: list[str]) -> dict[str, str]:
    """The workbook's fixed parts: content types, relationships, workbook, styles."""
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                     for i in range(1, len(titles) + 1))
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = (f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
             f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
             f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
             f"{sheets}</Types>")
    root = (f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(titles) + 1))
    n = len(titles)
    rels += (f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" '
             'Target="sharedStrings.xml"/>')
    sheet_list = "".join(f'<sheet name="{_xml_text(t)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, t in enumerate(titles, 1))
    workbook = (f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheet_list}</sheets>'
                "</workbook>")
    styles = (f'{_XML}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
              '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
              'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
              '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
              '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
              'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
              'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
              '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    return {"[Content_Types].xml": types, "_rels/.rels": root, "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_PKG_REL}">{rels}'
                                          "</Relationships>",
            "xl/styles.xml": styles}


def set_compress_level(info: zipfile.ZipInfo, level: int) -> None:
    """The deflate level of an entry opened with ``ZipFile.open(info, "w")``,
    which takes it from the ZipInfo (``compress_level`` from Python 3.13,
    ``_compresslevel`` before), not from the ZipFile."""
    if hasattr(info, "compress_level"):
        info.compress_level = level
    else:
        info._compresslevel = level


def write_xlsx(tables: dict[str, pd.DataFrame], target) -> None:
    """Write one workbook to the binary file ``target``: one sheet per table
    (split past 1,048,575 rows), the header row first.

    Text cells are shared strings (``t="s"``), escaped as in CSV; numbers stay
    numbers; a missing value is an empty cell. The bytes depend on the tables
    only (fixed ZIP dates), so the same export gives the same file.
    """
    strings: dict[str, int] = {}
    field = _xlsx_field(strings)
    titles: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as book:
        def part(name: str):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            set_compress_level(info, 1)
            return book.open(info, "w", force_zip64=True)

        for name, frame in tables.items():
            out = escape_formulas(frame)
            header = "<row>" + "".join(field(str(c)) for c in out.columns) + "</row>"
            blocks = _coded_blocks(out, field, "")
            for number, title in enumerate(sheet_names(name, len(out))):
                titles.append(title[:31])
                with part(f"xl/worksheets/sheet{len(titles)}.xml") as sheet:
                    sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>{header}'
                                .encode("utf-8"))
                    first = number * XLSX_MAX_ROWS
                    last = min(len(out), first + XLSX_MAX_ROWS)
                    for start in range(first, last, _CHUNK_ROWS) if blocks else ():
                        rows = _coded_rows(blocks, start, min(last, start + _CHUNK_ROWS), "")
                        sheet.write(("<row>" + "</row><row>".join(rows) + "</row>")
                                    .encode("utf-8"))
                    sheet.write(b"</sheetData></worksheet>")
        with part("xl/sharedStrings.xml") as shared:
            shared.write(_shared_strings(strings).encode("utf-8"))
        for name, body in _package_parts(titles).items():
            with part(name) as handle:
                handle.write(body.encode("utf-8"))


def to_xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """:func:`write_xlsx` into bytes."""
    buffer = io.BytesIO()
    write_xlsx(tables, buffer)
    return buffer.getvalue()


# -- JSON ------------------------------------------------------------------------

def to_json(frame: pd.DataFrame) -> bytes:
    """:func:`write_json` into bytes."""
    buffer = io.BytesIO()
    write_json(frame, buffer)
    return buffer.getvalue()


def write_json(frame: pd.DataFrame, target) -> None:
    """A JSON array of row objects to the binary file ``target``; missing =
    null; text unescaped.

    Tables with float columns go through :func:`json.dumps` (floats as their
    shortest round-trip repr, so statistics come back exactly); the large
    ratings table (integers and text) through pandas' fast writer, 100,000
    rows at a time.
    """
    has_float = any(pd.api.types.is_float_dtype(frame[c].dtype) for c in frame.columns)
    if not has_float:
        target.write(b"[")
        for start in range(0, len(frame), _CHUNK_ROWS):
            part = frame.iloc[start:start + _CHUNK_ROWS].to_json(orient="records", force_ascii=False)
            target.write((("," if start else "") + part[1:-1]).encode("utf-8"))
        target.write(b"]")
        return
    columns = list(frame.columns)
    records = [{c: (None if isinstance(v, float) and v != v else v) for c, v in zip(columns, row)}
               for row in _cell_values(frame)]
    target.write(json.dumps(records, ensure_ascii=False, allow_nan=False).encode("utf-8"))
