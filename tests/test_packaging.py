"""A wheel install serves the demo.

The wheel is built from a copy of the checkout (``pip wheel --no-deps .``,
so no ``build/`` folder is left in the checkout), installed with the
``server`` extra in a fresh virtualenv, and run from a folder outside the
checkout: ``init-db``, ``demo``, then gunicorn on a free loopback port.
The pages must render from the wheel's own templates and static files.
Installing the dependencies needs the package registry or pip's cache.
"""
from __future__ import annotations

import configparser
import html
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = ("delphi", "rounds", "analysis")
DEMO_PASSWORD = "demo-delphi-2030"
DEMO_PANELLIST = "panellist@demo.example.org"
DEMO_TITLE = "Strategies for carbon markets (Task Force A5)"
SERVER_START_SECONDS = 90


def setup_options() -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    return config["options"]


def test_setup_cfg_lists_every_package_of_the_tree():
    listed = set(setup_options()["packages"].split())
    in_tree = {".".join(init.parent.relative_to(REPO_ROOT).parts)
               for package in PACKAGES for init in (REPO_ROOT / package).rglob("__init__.py")}
    assert listed == in_tree | {"delphi.templates"}, (
        "setup.cfg's [options] packages must name every package of the tree: "
        f"missing {sorted(in_tree - listed)}, unknown {sorted(listed - in_tree - {'delphi.templates'})}")
    assert setup_options()["package_dir"].split() == ["delphi.templates", "=", "templates"]


def shipped_files() -> set[str]:
    """What the wheel must hold, as paths inside it."""
    files = {str(path.relative_to(REPO_ROOT)) for package in PACKAGES
             for path in (REPO_ROOT / package).rglob("*.py") if "__pycache__" not in path.parts}
    files |= {"delphi/" + str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "templates").rglob("*")
              if path.is_file()}
    files |= {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "delphi" / "static").rglob("*")
              if path.is_file()}
    files |= {"delphi/data/plan.json", "delphi/migrations/alembic.ini", "delphi/migrations/script.py.mako",
              "delphi/translations/fr/LC_MESSAGES/messages.mo",
              "delphi/mail/translations/fr/LC_MESSAGES/mail.po"}
    return files


def clean_environment() -> dict[str, str]:
    """This environment (pip's settings too) without anything that could import the checkout."""
    return {name: value for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not name.startswith("DELPHI_")}


def run(command, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("env", clean_environment())
    result = subprocess.run(command, check=False, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (f"{command} exited with {result.returncode}\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "instance", "__pycache__",
        ".pytest_cache", ".hypothesis", ".import_linter_cache"))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", ".", "-w", str(tmp_path / "wheelhouse")],
        cwd=source, timeout=600)
    [wheel] = (tmp_path / "wheelhouse").glob("delphi_engine-*.whl")
    return wheel


class Browser:
    """Cookies and CSRF-token forms over urllib, against the served app."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")


def wait_for_address(process: subprocess.Popen, log: Path) -> str:
    """The address gunicorn says it listens at (it binds port 0: no race for a port)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)  # between reads of the log
    pytest.fail(f"gunicorn did not listen within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_a_wheel_install_serves_the_demo(tmp_path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert not shipped_files() - names, f"missing from the wheel: {sorted(shipped_files() - names)}"
    assert not [name for name in names if name.startswith(("tests/", "templates/", "bench/"))]
    assert [name for name in names if re.fullmatch(r"delphi_engine-[^/]+\.dist-info/(licenses/)?LICENSE", name)]

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    bin_dir = venv / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{wheel}[server]"], timeout=900)

    site = tmp_path / "site"          # outside the checkout: nothing can come from it
    site.mkdir()
    env = {**clean_environment(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
           "DELPHI_INSTANCE_PATH": str(site / "instance")}
    where = run([str(bin_dir / "python"), "-c", "import delphi; print(delphi.__file__)"],
                cwd=site, env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where

    flask = str(bin_dir / "flask")
    assert "Database ready" in run([flask, "--app", "delphi", "init-db"], cwd=site, env=env,
                                   timeout=300).stdout
    assert DEMO_PANELLIST in run([flask, "--app", "delphi", "demo"], cwd=site, env=env,
                                 timeout=300).stdout

    log = site / "gunicorn.log"
    with log.open("w") as handle:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-w", "1", "-b", "127.0.0.1:0", "--timeout", "120",
             "delphi:create_server_app()"], cwd=site, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        browser = Browser(wait_for_address(server, log))

        status, _type, page = browser.get("/")
        assert status == 200, page[-2000:]
        assert '<h1>The "4 per 1000" strategic plan</h1>' in html.unescape(page)

        [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        status, content_type, css = browser.get(html.unescape(stylesheet))
        assert status == 200 and content_type.startswith("text/css")
        assert css == (REPO_ROOT / "delphi" / "static" / "style.css").read_text(encoding="utf-8")

        status, _type, login = browser.get("/login")
        assert status == 200 and 'name="password"' in login, login[-2000:]
        [token] = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', login)
        status, _type, home = browser.get("/login", {"csrf_token": token, "email": DEMO_PANELLIST,
                                                     "password": DEMO_PASSWORD})
        assert status == 200, home[-2000:]
        assert DEMO_TITLE in html.unescape(home), home[-2000:]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
