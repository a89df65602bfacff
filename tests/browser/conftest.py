"""Browser tests: the real app under gunicorn on loopback, driven by Debian's
headless Chromium through Selenium.

The server runs on the test's own database (the SQLite file of the ``app``
fixture, or PostgreSQL with ``DELPHI_TEST_DATABASE_URL``), so a test builds
its world with ``tests.factories`` and checks the database afterwards.
Nothing is downloaded: the driver is ``/usr/bin/chromedriver`` and the
browser ``/usr/bin/chromium`` (Selenium Manager is never asked); the tests
are skipped when either is missing. Every wait is for a condition, with a
timeout.

Run them alone with::

    python -m pytest -p no:randomly -m browser tests/browser

``DELPHI_SCREENSHOTS=/some/dir`` keeps the screenshots the tests take.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.support import (
    ARGON2,
    CHROMEDRIVER,
    CHROMIUM,
    TIMEOUT,
    LiveServer,
    free_port,
    missing,
    serves,
    wait_for,
)
from tests.gunicorn_server import gunicorn


@pytest.fixture
def live_server(app, database_url, tmp_path):
    """The app under gunicorn (1 worker × 4 threads) on a free loopback port, on this test's database."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    from delphi.core.database import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the server opens its own connections
    port = free_port()
    env = {
        **os.environ,
        "DELPHI_DATABASE_URL": database_url,
        "DELPHI_SECRET_KEY": "browser-test-secret",
        "DELPHI_ARGON2_PARAMETERS": ARGON2,
        "DELPHI_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "DELPHI_MAIL_SERVER": "",
        "DELPHI_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log_path = tmp_path / "gunicorn.log"

    def up(process):
        def answers():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n"
                                     + log_path.read_text()[-4000:])
            return serves(port)

        wait_for(answers, message="the server to answer")

    with gunicorn(port, env, log_path, workers=1, timeout=60, until_up=up):
        yield LiveServer(port)


@pytest.fixture(scope="session")
def _chromium():
    reason = missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=en-GB", "--disable-gpu"):
        options.add_argument(argument)
    # Both paths given: Selenium Manager is not run, nothing is downloaded.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_chromium):
    """The session's Chromium, with no cookies and a 1280 px wide viewport."""
    _chromium.delete_all_cookies()
    _chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    yield _chromium
    _chromium.delete_all_cookies()


@pytest.fixture
def screenshots(tmp_path):
    """Where the tests' screenshots go (``DELPHI_SCREENSHOTS`` if set, else a temporary folder)."""
    folder = Path(os.environ.get("DELPHI_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
