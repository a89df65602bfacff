"""The load and crash benchmarks run, in a tiny configuration, and print their
figures: each starts a real gunicorn on 127.0.0.1, stops it by itself, and
exits 0. On PostgreSQL (``DELPHI_TEST_DATABASE_URL``) they run on their own
database of the same server, created and emptied by the script."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.db, pytest.mark.slow]


def _database() -> list[str]:
    url = os.environ.get("DELPHI_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return ["--database", "postgresql", "--pg-database", f"bench_test_{os.getpid()}"]
    return ["--database", "sqlite"]


def _run(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    for tool in ("gunicorn", "locust") if script == "bench_load.py" else ("gunicorn",):
        if not shutil.which(tool, path=str(Path(sys.executable).parent)):
            pytest.skip(f"{tool} is not installed (pip install -e .[bench])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_")}
    return subprocess.run([sys.executable, str(REPO_ROOT / "bench" / script), *_database(), *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _cleanup_pg(args: list[str]) -> None:
    if "postgresql" in args:
        import sqlalchemy

        from bench._server import PG_SERVER

        engine = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{args[-1]}" WITH (FORCE)'))
        engine.dispose()


def test_the_load_script_prints_each_request_type_and_stops():
    try:
        result = _run("bench_load.py", "--users", "4", "--spawn-rate", "4", "--duration", "4",
                      "--panellists", "8", "--items", "3", "--workers", "1", timeout=150)
    finally:
        _cleanup_pg(_database())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"request\s+count\s+fail\s+p50 ms\s+p95 ms\s+req/s\s+err %", out), out
    assert "POST /login" in out or "POST /api/v1/auth/token" in out, out
    aggregated = re.search(r"^Aggregated\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+)$", out, re.MULTILINE)
    assert aggregated and int(aggregated.group(1)) > 0, out
    assert aggregated.group(2) == "0", out  # no failed request, no 5xx
    assert re.search(r"load average at start: [\d.]+ [\d.]+ [\d.]+", out), out
    assert re.search(r"load average at end: +[\d.]+ [\d.]+ [\d.]+", out), out


def test_the_crash_script_kills_restarts_and_finds_nothing_lost():
    try:
        result = _run("bench_crash.py", "--trials", "1", "--clients", "4", "--panellists", "8",
                      "--items", "3", "--workers", "1", "--storm-min", "0.5", "--storm-max", "1",
                      timeout=150)
    finally:
        _cleanup_pg(_database())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"trials \(kill -9 of master and workers\): 1$", out, re.MULTILINE), out
    acknowledged = re.search(r"acknowledged \(2xx\): +(\d+)", out)
    assert acknowledged and int(acknowledged.group(1)) > 0, out
    assert re.search(r"lost acknowledged answers: +0 ", out), out
    assert re.search(r"5xx answers: +0$", out, re.MULTILINE), out
    assert re.search(r"integrity: +ok$", out, re.MULTILINE), out
    assert re.search(r"self-check .*: found lost$", out, re.MULTILINE), out


def test_the_submit_script_prints_the_api_against_its_floor():
    try:
        result = _run("bench_submit.py", "--requests", "6", "--warmup", "2", "--panellists", "4",
                      "--workers", "1", "--threads", "2", timeout=150)
    finally:
        _cleanup_pg(_database())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = re.search(r"^  (sqlite|postgresql) +API median +([\d.]+) ms +p95 +([\d.]+) ms \| bare median "
                     r"+([\d.]+) ms +p95 +([\d.]+) ms \| ratio median ([\d.]+)x", result.stdout, re.MULTILINE)
    assert line, result.stdout
    assert float(line.group(6)) == pytest.approx(float(line.group(2)) / float(line.group(4)), abs=0.01)
    assert re.search(r"target: API median at most 2.5x the floor: (OK|OVER TARGET)$", result.stdout,
                     re.MULTILINE), result.stdout


def test_the_export_script_measures_csv_and_xlsx_with_their_peak_memory():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_")}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_export.py"), "--panellists", "12",
         "--items", "3", "--rounds", "1", "--repeats", "1", "--formats", "csv,xlsx"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^  total +[\d.]+ +[\d.]+ s$", out, re.MULTILINE), out
    assert re.search(r"^  peak_mib +\d+ +\d+ MiB$", out, re.MULTILINE), out
    assert re.search(r"^xlsx / csv total: [\d.]+x$", out, re.MULTILINE), out


def test_the_pages_script_times_cold_and_warm_views_on_fresh_workers():
    try:
        result = _run("bench_pages.py", "--panellists", "8", "--items", "2", "--repeats", "1",
                      timeout=400)
    finally:
        _cleanup_pg(_database())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"page\s+store\s+images\s+cold ms\s+warm ms\s+cold/warm", out), out
    for page in ("dashboard", "item page", "report"):
        for state in ("stored", "empty"):
            row = re.search(rf"^{page}\s+{state}\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)$", out,
                            re.MULTILINE)
            assert row and int(row.group(2)) > 0 and int(row.group(3)) > 0, (page, state, out)
    assert re.search(r"^dashboard\s+stored\s+6\s", out, re.MULTILINE), out  # its six charts
    assert re.search(r"prerender \(flask charts render\) of round 1: \d+ charts", out), out
    assert re.search(r"load average at end: +[\d.]+ [\d.]+ [\d.]+", out), out
