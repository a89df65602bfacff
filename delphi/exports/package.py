"""The export ZIP: data files, codebook (Markdown and JSON), manifest,
reproduction script and report."""
from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from delphi.core.models import Study, utcnow
from delphi.exports import formats
from delphi.exports.codebook import build_codebook, to_markdown
from delphi.exports.tiers import Tables, build_tables

REPRODUCE_SCRIPT = Path(__file__).with_name("reproduce_template.py")
#: zlib level 1: most of the size gain at a fraction of the time (1.2 M rows).
COMPRESSLEVEL = 1


@dataclass
class Package:
    filename: str
    data: bytes
    files: dict[str, str]  # name -> sha256
    timings: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def data_files(tables: Tables, fmt: str) -> tuple[dict[str, bytes], dict[str, dict]]:
    """The data files of the tables in ``fmt``, and where each table went."""
    if fmt not in formats.FORMATS:
        raise ValueError(f"format must be one of {formats.FORMATS}, got {fmt!r}")
    files: dict[str, bytes] = {}
    where: dict[str, dict] = {}
    if fmt == "xlsx":
        files["data.xlsx"] = formats.to_xlsx(tables.frames)
        for name, frame in tables.frames.items():
            where[name] = {"file": "data.xlsx", "sheets": formats.sheet_names(name, len(frame))}
    else:
        writer = formats.to_csv if fmt == "csv" else formats.to_json
        for name, frame in tables.frames.items():
            files[f"{name}.{fmt}"] = writer(frame)
            where[name] = {"file": f"{name}.{fmt}"}
    return files, where


def build_package(study: Study, tier: str, fmt: str, *, k: int = 5, report_html=None,
                  now: datetime | None = None) -> Package:
    """Build the ZIP in memory. ``report_html`` is a callable ``(study) -> str``
    (the web app passes :func:`delphi.exports.report.render_report`)."""
    now = now or utcnow()
    t0 = time.perf_counter()
    tables = build_tables(study, tier, k=k)
    t1 = time.perf_counter()
    files, where = data_files(tables, fmt)
    t2 = time.perf_counter()
    codebook = build_codebook(study, tables, fmt, where)
    codebook["exported_on"] = now.date().isoformat()
    files["codebook.json"] = json.dumps(codebook, indent=2, ensure_ascii=False).encode("utf-8")
    files["codebook.md"] = to_markdown(codebook).encode("utf-8")
    files["reproduce.py"] = REPRODUCE_SCRIPT.read_bytes()
    if report_html is not None:
        files["report.html"] = report_html(study).encode("utf-8")
    t3 = time.perf_counter()
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    manifest = {
        "study": study.title, "tier": tier, "format": fmt, "exported_on": now.date().isoformat(),
        "algorithm": "sha256",
        "files": [{"name": name, "bytes": len(files[name]), "sha256": digests[name]}
                  for name in sorted(files)],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=COMPRESSLEVEL) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(now.year, now.month, now.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=COMPRESSLEVEL)
    t4 = time.perf_counter()
    filename = f"study-{study.id}-{tier}-{fmt}.zip"
    return Package(
        filename=filename, data=buffer.getvalue(), files=digests,
        timings={**tables.timings, "write": t2 - t1, "codebook_report": t3 - t2,
                 "zip": t4 - t3, "total": t4 - t0},
        rows={name: len(frame) for name, frame in tables.frames.items()},
    )
