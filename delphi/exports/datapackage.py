"""``datapackage.json``: the export as a Frictionless Data Package (v1 spec).

One tabular data resource per table of the export, with its path (CSV, JSON
or the XLSX workbook's sheet), media type, SHA-256 hash and size, and a Table
Schema: every column with its type, its description from the codebook (the
export's language), the constraints of a rating (1..points), the missing value
(an empty cell in CSV and XLSX, ``null`` in JSON), the primary key of each
table, and its foreign keys to ``items`` (CSV and JSON; in XLSX every table
shares the workbook, and frictionless 5 reads a lookup table from its first
sheet, so there are none). A JSON table without rows is left out (an empty
array has no columns to read; the codebook still lists it). ``frictionless validate
datapackage.json`` checks the files against it (tests/test_exports_package.py).

Reference: Frictionless Data, Data Package and Table Schema specifications v1
(https://specs.frictionlessdata.io/).
"""
from __future__ import annotations

import re

#: The key of each table (only the columns the table has are used).
PRIMARY_KEYS = {
    "ratings": ["pseudonym", "round", "item_code", "criterion"],
    "estimates": ["pseudonym", "round", "item_code"],
    "probabilities": ["pseudonym", "round", "item_code"],
    "years": ["pseudonym", "round", "item_code"],
    "rankings": ["pseudonym", "round", "item_code"],
    "items": ["item_code"],
    "item_statistics": ["round", "item_code", "criterion"],
    "kind_statistics": ["round", "item_code"],
    "ranking_option_statistics": ["round", "item_code", "option"],
    "round_statistics": ["round", "criterion"],
    "stability": ["round", "item_code", "criterion"],
    "lineage": ["item_code"],
}
#: Tables whose ``item_code`` refers to ``items``.
ITEM_REFERENCES = ("ratings", "estimates", "probabilities", "years", "rankings", "comments",
                   "item_statistics", "kind_statistics", "ranking_option_statistics",
                   "stability", "lineage")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_SCALE = re.compile(r"integer (\d+)\.\.(\d+)")


def field_of(column: dict) -> dict:
    """A Table Schema field from a codebook column ``{name, type, meaning, coding}``."""
    kind = column["type"]
    field: dict = {"name": column["name"]}
    scale = _SCALE.fullmatch(kind)
    if scale:
        field["type"] = "integer"
        field["constraints"] = {"minimum": int(scale[1]), "maximum": int(scale[2])}
    else:
        field["type"] = {"text": "string", "integer": "integer", "number": "number",
                         "boolean": "boolean"}.get(kind, "any")
    if field["type"] == "boolean":
        field["trueValues"], field["falseValues"] = ["true"], ["false"]
    description = " ".join(part for part in (column.get("meaning"), column.get("coding")) if part)
    if description:
        field["description"] = description
    return field


def schema_of(name: str, table: dict) -> dict:
    fields = [field_of(column) for column in table["columns"]]
    names = {f["name"] for f in fields}
    schema: dict = {"fields": fields, "missingValues": [""]}
    key = [k for k in PRIMARY_KEYS.get(name, []) if k in names]
    if key and len(key) == len(PRIMARY_KEYS[name]):
        schema["primaryKey"] = key
    if name in ITEM_REFERENCES and "item_code" in names:
        schema["foreignKeys"] = [{"fields": "item_code",
                                  "reference": {"resource": "items", "fields": "item_code"}}]
    return schema


def build_datapackage(codebook: dict, files: dict[str, bytes], digests: dict[str, str], *,
                      name: str, title: str, description: str, created: str, version: str,
                      license: dict, contributors: list[dict], keywords: list[str]) -> dict:
    """The descriptor. ``codebook``: :func:`delphi.exports.codebook.build_codebook`'s
    dict (its tables say where each table went); ``files`` and ``digests``: the
    package's files by name, and their SHA-256."""
    fmt = codebook["format"]
    resources = []
    have_items = "items" in codebook["tables"]
    for table_name, table in codebook["tables"].items():
        path = table.get("file")
        if fmt == "json" and not table["rows"]:
            continue  # an empty JSON array has no columns to read: the codebook lists it
        resource = {"name": table_name, "path": path, "profile": "tabular-data-resource",
                    "format": fmt, "mediatype": MEDIA_TYPES[fmt], "encoding": "utf-8",
                    "title": table_name, "description": table.get("description", ""),
                    "schema": schema_of(table_name, table)}
        if not have_items or fmt == "xlsx":
            # In a workbook the lookup table shares its file with the others, and
            # frictionless 5 reads a lookup from the workbook's first sheet.
            resource["schema"].pop("foreignKeys", None)
        if fmt == "xlsx":
            # The first sheet of the table (a table past Excel's row limit goes on in
            # "<name> (2)", ...: see the codebook).
            resource["dialect"] = {"headerRows": [1], "excel": {"sheet": table["sheets"][0][:31]}}
        elif fmt == "csv":  # (a JSON file is read whole: frictionless counts no bytes)
            resource["bytes"] = len(files[path])
            resource["hash"] = f"sha256:{digests[path]}"
        resources.append(resource)
    return {
        "profile": "data-package",
        "name": name, "title": title, "description": description, "version": version,
        "created": created, "licenses": [license], "contributors": contributors,
        "keywords": keywords, "resources": resources,
    }
