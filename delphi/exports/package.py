"""The export ZIP: data files, codebook (Markdown and JSON), manifest,
reproduction script and report, as a FAIR package.

Besides the tables of the tier, every ZIP holds the study's provenance:
``amendments`` and ``lineage`` (two more tables, in the export's format, in the
codebook), ``protocol.json`` (the protocol as the engine validates it, and the
codebook's protocol), ``feedback/round-<n>.json`` (the feedback each round
showed its panellists: the snapshot frozen when the round was drafted, cells
under the policy's ``min_cell`` already suppressed, filtered by the study's
feedback options; the comments' texts only in the comments tier, scrubbed,
else their number). The package is described three ways: ``datapackage.json``
(Frictionless Data Package, :mod:`delphi.exports.datapackage`),
``ro-crate-metadata.json`` (RO-Crate 1.1) and ``.zenodo.json`` (a Zenodo
deposit; :mod:`delphi.exports.rocrate`); ``manifest.json`` lists every file
with its SHA-256.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Item, Round, RoundItem, RoundStatus, Study, utcnow
from delphi.exports import formats
from delphi.exports.codebook import build_codebook, protocol, to_markdown
from delphi.exports.datapackage import build_datapackage
from delphi.exports.lineage import amendments_table, lineage_table
from delphi.exports.report import SOFTWARE, SOFTWARE_URL, citations, software_version
from delphi.exports.rocrate import build_rocrate, build_zenodo
from delphi.exports.scrub import scrub
from delphi.exports.tiers import Tables, build_tables
from delphi.i18n import current_language
from rounds.protocol import Protocol
from rounds.questionnaires import _filtered_feedback

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


#: The licence of the exported data unless the caller names another (SPDX id).
DEFAULT_LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                   "title": "Creative Commons Attribution 4.0 International"}
INITIATIVE = {"name": "4 per 1000 Initiative", "url": "https://4p1000.org"}


def organisation_of(study: Study) -> dict:
    """The creator of the data: the study's task force within the initiative
    (never a person: no panellist, no moderator)."""
    tf = study.task_force
    name = f"{INITIATIVE['name']}, Task Force {tf.code}" if tf is not None else INITIATIVE["name"]
    return {"name": name, "parent": INITIATIVE if tf is not None else None,
            "url": None if tf is not None else INITIATIVE["url"]}


def feedback_snapshots(study: Study, tier: str) -> dict[int, dict]:
    """Per opened round from 2 on: what each item's feedback showed its panellists
    (see the module). Keyed by round number."""
    rows = db.session.execute(
        select(Round.number, Item.code, RoundItem.position, RoundItem.feedback)
        .join(Round, Round.id == RoundItem.round_id).join(Item, Item.id == RoundItem.item_id)
        .where(Round.study_id == study.id, Round.status != RoundStatus.draft)
        .order_by(Round.number, RoundItem.position, Item.code)).all()
    out: dict[int, dict] = {}
    for number, code, position, feedback in rows:
        shown = _filtered_feedback(study, feedback, {})
        if shown is None:
            continue
        shown.pop("own_previous", None)
        for entry in (shown.get("criteria") or {}).values():
            entry.pop("own_previous", None)
        comments = shown.pop("comments", [])
        if tier == "comments":
            shown["comments"] = [scrub(text) for text in comments]
        else:
            shown["n_comments"] = len(comments)
        round_ = out.setdefault(int(number), {
            "round": int(number), "from_round": shown.get("round"),
            "shown": {"distribution": study.show_distribution,
                      "median_iqr": study.show_median_iqr, "comments": study.show_comments},
            "items": []})
        round_["items"].append({"item_code": code, "position": position, "feedback": shown})
    return out


def _protocol_json(study: Study) -> dict:
    engine = Protocol.from_study(study).as_input()
    return {"protocol": json.loads(json.dumps(engine, default=str)),
            "described": protocol(study)}


def build_package(study: Study, tier: str, fmt: str, *, k: int = 5, report_html=None,
                  report_files: Callable[[Study], dict[str, bytes]] | None = None,
                  license: dict | None = None, now: datetime | None = None) -> Package:
    """Build the ZIP in memory, the data files streamed into it table by
    table (:func:`write_data_files`). ``report_files`` is a callable ``(study) ->
    {name: bytes}`` (the web app passes the report as HTML, PDF and DOCX);
    ``report_html`` a callable ``(study) -> str`` (the HTML report alone, as
    before). ``license``: the data's licence as a Data Package licence
    (default :data:`DEFAULT_LICENSE`)."""
    now = now or utcnow()
    license = license or DEFAULT_LICENSE
    t0 = time.perf_counter()
    tables = build_tables(study, tier, k=k)
    tables.frames["amendments"] = amendments_table(study)
    tables.frames["lineage"] = lineage_table(study)
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
    files["protocol.json"] = _json(_protocol_json(study))
    snapshots = feedback_snapshots(study, tier)
    for number, snapshot in snapshots.items():
        files[f"feedback/round-{number}.json"] = _json(snapshot)
    if report_files is not None:
        files.update(report_files(study))
    elif report_html is not None:
        files["report.html"] = report_html(study).encode("utf-8")
    t3 = time.perf_counter()
    _describe(study, tier, fmt, files, codebook, license, now, written)
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


def _json(value) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


def _listing(files: dict[str, bytes], streamed: dict[str, tuple[int, str]]
             ) -> tuple[dict, dict[str, str]]:
    """Every file of the package so far as the descriptors read it (name to
    something with a length: the bytes, or the size of a file already streamed
    into the ZIP), and each one's SHA-256."""
    listed = {**{name: _Streamed(size) for name, (size, _) in streamed.items()}, **files}
    digests = {**{name: sha for name, (_, sha) in streamed.items()},
               **{name: hashlib.sha256(body).hexdigest() for name, body in files.items()}}
    return listed, digests


class _Streamed:
    """A file already streamed into the ZIP, as the descriptors see it: its size."""

    def __init__(self, size: int):
        self.size = size

    def __len__(self) -> int:
        return self.size


def _describe(study: Study, tier: str, fmt: str, files: dict[str, bytes], codebook: dict,
              license: dict, now: datetime, streamed: dict[str, tuple[int, str]]) -> None:
    """Add ``datapackage.json``, ``.zenodo.json`` and ``ro-crate-metadata.json``
    (``streamed``: the data files already in the ZIP, with their size and SHA-256)."""
    listed, digests = _listing(files, streamed)
    created = now.date().isoformat()
    tf = study.task_force
    title = _("%(title)s: Delphi study data (%(tier)s)", title=study.title, tier=tier)
    description = (study.description or study.title) + " " + _(
        "Anonymised data of a Delphi study run with %(name)s: the answers of every closed "
        "round (per tier), the frozen statistics, the protocol and its amendments, the "
        "lineage of the items, the feedback shown between rounds, a codebook and a script "
        "that reproduces every figure.", name=SOFTWARE)
    keywords = ["Delphi", "consensus", "expert panel", "4 per 1000", "soil carbon"] + (
        [f"Task force {tf.code}"] if tf is not None else [])
    organisation = organisation_of(study)
    software = {"name": SOFTWARE, "version": software_version(), "url": SOFTWARE_URL}
    works = citations()
    package = build_datapackage(
        codebook, listed, digests, name=f"delphi-study-{study.id}-{tier}", title=title,
        description=description, created=now.replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"), version=created, license=license,
        contributors=[{"title": organisation["name"], "role": "author"}], keywords=keywords)
    files["datapackage.json"] = _json(package)
    files[".zenodo.json"] = _json(build_zenodo(
        title=title, description=description, created=created, language=current_language(),
        license=license, organisation=organisation, software=software, keywords=keywords,
        citations=works))
    descriptions = {name: table.get("description", "") for table in codebook["tables"].values()
                    if (name := table.get("file"))}
    descriptions.update({
        "codebook.json": _("The codebook: every table and column, the protocol, the "
                           "anonymisation."),
        "codebook.md": _("The codebook, in Markdown."),
        "reproduce.py": _("Recomputes every statistic from the answers and checks it."),
        "protocol.json": _("The protocol as the engine validated it."),
        "datapackage.json": _("Frictionless Data Package descriptor: a table schema per file."),
        ".zenodo.json": _("Deposit metadata for Zenodo."),
        "report.html": _("The study report (HTML)."), "report.pdf": _("The study report (PDF)."),
        "report.docx": _("The study report (Word)."),
        "feedback/": _("The feedback each round showed its panellists."),
        "manifest.json": _("Every file of the package with its SHA-256."),
    })
    listed, digests = _listing(files, streamed)  # now with the descriptors above
    files["ro-crate-metadata.json"] = _json(build_rocrate(
        listed, digests, descriptions, title=title, description=description,
        created=created, language=current_language(), license=license,
        organisation=organisation, software=software, keywords=keywords, citations=works))
