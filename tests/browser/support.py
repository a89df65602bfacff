"""Helpers of the browser tests: the paths, waiting for a condition, the
server's address, logging in through the real form."""
from __future__ import annotations

import http.client
import shutil
import socket
import sys
import time
from pathlib import Path

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARGON2 = '{"time_cost": 1, "memory_cost": 8, "parallelism": 1}'
#: Seconds a condition may take (a page load, an autosave, the server's start).
TIMEOUT = 20.0


def missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this environment"
    if not shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
        return "gunicorn is not installed in this environment"
    return None


def wait_for(condition, *, timeout: float = TIMEOUT, message: str = "condition", interval: float = 0.05):
    """Poll ``condition()`` until it returns a true value (returned); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)  # between two checks of the condition


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serves(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
    try:
        conn.request("GET", "/login")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class LiveServer:
    """The gunicorn server of a test: ``url(path)``."""

    def __init__(self, port: int):
        self.port = port

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def log_in(browser, server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form (CSRF token and all)."""
    from selenium.webdriver.common.by import By

    browser.get(server.url("/login"))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for(lambda: "/login" not in browser.current_url, message="the login to go through")
