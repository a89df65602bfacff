"""The export ZIP: data files, codebook (Markdown and JSON), manifest,
reproduction script and report."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
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


class _Digest:
    """A binary file that writes through to ``handle``, counting the bytes and
    hashing them (SHA-256) as they pass."""

    def __init__(self, handle):
        self.handle, self.bytes, self.sha256 = handle, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.sha256.update(data)
        self.bytes += len(data)
        return len(data)


def _entry(archive: zipfile.ZipFile, name: str, now: datetime):
    info = zipfile.ZipInfo(name, date_time=(now.year, now.month, now.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    formats.set_compress_level(info, COMPRESSLEVEL)
    return archive.open(info, "w", force_zip64=True)


def write_data_files(archive: zipfile.ZipFile, tables: Tables, fmt: str, now: datetime
                     ) -> tuple[dict[str, tuple[int, str]], dict[str, dict]]:
    """Write the data files of the tables in ``fmt`` straight into ``archive``
    (each file streamed, never held whole); returns each file's size and
    SHA-256, and where each table went."""
    if fmt not in formats.FORMATS:
        raise ValueError(f"format must be one of {formats.FORMATS}, got {fmt!r}")
    written: dict[str, tuple[int, str]] = {}
    where: dict[str, dict] = {}

    def stream(name: str, write) -> None:
        with _entry(archive, name, now) as handle:
            digest = _Digest(handle)
            write(digest)
        written[name] = (digest.bytes, digest.sha256.hexdigest())

    if fmt == "xlsx":
        # The workbook is itself a ZIP: built in a spooled file, then copied in.
        with tempfile.SpooledTemporaryFile(max_size=64 * 2**20) as book:
            formats.write_xlsx(tables.frames, book)
            book.seek(0)
            stream("data.xlsx", lambda out: shutil.copyfileobj(book, out, 2**20))
        for name, frame in tables.frames.items():
            where[name] = {"file": "data.xlsx", "sheets": formats.sheet_names(name, len(frame))}
    else:
        writer = formats.write_csv if fmt == "csv" else formats.write_json
        for name, frame in tables.frames.items():
            stream(f"{name}.{fmt}", lambda out, frame=frame: writer(frame, out))
            where[name] = {"file": f"{name}.{fmt}"}
    return written, where


def build_package(study: Study, tier: str, fmt: str, *, k: int = 5, report_html=None,
                  now: datetime | None = None) -> Package:
    """Build the ZIP in memory, the data files streamed into it table by
    table (:func:`write_data_files`). ``report_html`` is a callable ``(study) -> str``
    (the web app passes :func:`delphi.exports.report.render_report`)."""
    now = now or utcnow()
    t0 = time.perf_counter()
    tables = build_tables(study, tier, k=k)
    t1 = time.perf_counter()
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED,
                              compresslevel=COMPRESSLEVEL)
    written, where = write_data_files(archive, tables, fmt, now)
    t2 = time.perf_counter()
    files: dict[str, bytes] = {}
    codebook = build_codebook(study, tables, fmt, where)
    codebook["exported_on"] = now.date().isoformat()
    files["codebook.json"] = json.dumps(codebook, indent=2, ensure_ascii=False).encode("utf-8")
    files["codebook.md"] = to_markdown(codebook).encode("utf-8")
    files["reproduce.py"] = REPRODUCE_SCRIPT.read_bytes()
    if report_html is not None:
        files["report.html"] = report_html(study).encode("utf-8")
    t3 = time.perf_counter()
    sizes = {**written, **{name: (len(body), hashlib.sha256(body).hexdigest())
                           for name, body in files.items()}}
    digests = {name: sha for name, (_, sha) in sizes.items()}
    manifest = {
        "study": study.title, "tier": tier, "format": fmt, "exported_on": now.date().isoformat(),
        "algorithm": "sha256",
        "files": [{"name": name, "bytes": sizes[name][0], "sha256": digests[name]}
                  for name in sorted(sizes)],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    with archive:
        for name in sorted(files):
            with _entry(archive, name, now) as handle:
                handle.write(files[name])
    t4 = time.perf_counter()
    filename = f"study-{study.id}-{tier}-{fmt}.zip"
    return Package(
        filename=filename, data=buffer.getvalue(), files=digests,
        timings={**tables.timings, "write": t2 - t1, "codebook_report": t3 - t2,
                 "zip": t4 - t3, "total": t4 - t0},
        rows={name: len(frame) for name, frame in tables.frames.items()},
    )
