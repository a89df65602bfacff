"""Accessibility of every role's main path through the demo, in headless
Chromium: axe-core (the npm package, ``npm install axe-core``) runs on each
page state at 1280 px and at 320 px and the test fails on any violation; at
320 px no page may scroll sideways (WCAG 2.1 SC 1.4.10, reflow).

The page states are the demo's, as each role reaches them: the public plan and
forms, a panellist's questionnaire with feedback (and with its error summary),
the moderator's study, round, dashboard and item pages, the researcher's
exports and report, the secretariat's administration. Where axe-core is not
installed the test is skipped with the command that installs it; ``.ci/run``
installs it, and there a skipped browser test fails the run.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.browser.support import log_in, wait_for

pytest.importorskip("selenium", reason="selenium is not installed in this environment")
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1280, 320)
DEMO_PASSWORD = "demo-delphi-2030"


def axe_source() -> Path | None:
    """axe-core's script: ``DELPHI_AXE_JS``, else ``node_modules/axe-core`` at the repository's root."""
    candidates = [os.environ.get("DELPHI_AXE_JS"), ROOT / "node_modules/axe-core/axe.min.js"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture
def demo(app, runner):
    """The demo study, loaded as ``flask demo`` loads it; its logins by role."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    logins = {}
    for line in result.output.splitlines():
        parts = line.split()
        if len(parts) == 2 and "@" in parts[1]:
            logins[parts[0]] = parts[1]
    assert {"admin", "moderator", "panellist", "researcher"} <= logins.keys(), result.output
    return logins


class Audit:
    """Runs axe-core on the browser's page at each width; collects what fails."""

    def __init__(self, browser, server, screenshots):
        path = axe_source()
        if path is None:
            pytest.skip("axe-core is not installed: run `npm install --no-save axe-core` at the "
                        "repository's root, or set DELPHI_AXE_JS")
        self.script = path.read_text(encoding="utf-8")
        self.browser, self.server, self.screenshots = browser, server, screenshots
        self.failures: list[str] = []
        self.states = 0

    def _width(self, width: int) -> None:
        self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def _loaded(self) -> None:
        wait_for(lambda: self.browser.execute_script("return document.readyState") == "complete",
                 message="the page to load")

    def check(self, name: str, path: str | None = None, *, prepare=None) -> None:
        """Audit one page state (``path`` loaded, then ``prepare(browser)``) at every width."""
        for width in WIDTHS:
            self._width(width)
            if path is not None:
                self.browser.get(self.server.url(path))
            else:
                self.browser.refresh()
            self._loaded()
            if prepare is not None:
                prepare(self.browser)
                self._loaded()
            self.states += 1
            label = f"{name} @ {width} px ({self.browser.current_url})"
            title = self.browser.title
            if re.search(r"\b(404|403|500)\b", title) or "Server error" in title:
                self.failures.append(f"{label}: the page is an error page ({title!r})")
                continue
            self.browser.execute_script(self.script)
            self.browser.set_script_timeout(60)
            violations = self.browser.execute_async_script("""
                var done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ['violations']}).then(function (r) {
                  done(r.violations.map(function (v) {
                    return {id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }),
                            count: v.nodes.length};
                  }));
                }, function (e) { done([{id: 'axe-error', help: String(e), nodes: [], count: 1}]); });
            """)
            for v in violations:
                self.failures.append(f"{label}: {v['id']} ({v['impact']}, {v['count']} node(s)): "
                                     f"{v['help']} — {json.dumps(v['nodes'])}")
            overflow = self.browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if width == 320 and overflow > 0:
                self.failures.append(f"{label}: the page scrolls sideways by {overflow} px "
                                     f"(sticking out: {self._sticking_out()})")
            if violations or (width == 320 and overflow > 0) or os.environ.get("DELPHI_SCREENSHOTS"):
                height = self.browser.execute_script("return document.documentElement.scrollHeight")
                self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": min(int(height), 8000), "deviceScaleFactor": 1,
                    "mobile": False})
                slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                self.browser.save_screenshot(str(self.screenshots / f"a11y-{slug}-{width}.png"))

    def _sticking_out(self) -> list[str]:
        """The outermost elements whose right edge passes the viewport's."""
        return self.browser.execute_script("""
            var limit = document.documentElement.clientWidth, out = [];
            document.querySelectorAll('body *').forEach(function (el) {
              var box = el.getBoundingClientRect();
              var clipped = false;
              for (var up = el.parentElement; up; up = up.parentElement) {
                if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
              }
              if (box.width && box.right > limit + 0.5 && !clipped
                  && !(el.parentElement && el.parentElement.getBoundingClientRect().right > limit + 0.5)) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                         + (el.className && el.className.baseVal === undefined ? '.' + el.className : ''));
              }
            });
            return out.slice(0, 5);""")

    def assert_clean(self) -> None:
        assert self.states, "no page state was audited"
        assert not self.failures, (f"{len(self.failures)} accessibility failure(s) on "
                                   f"{self.states} page states:\n" + "\n".join(self.failures))


def _path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _link(browser, pattern: str, *, last: bool = False) -> str:
    links = browser.find_elements(By.CSS_SELECTOR, "a[href]")
    for a in (reversed(links) if last else links):
        href = a.get_attribute("href") or ""
        if re.search(pattern, href):
            return _path_of(href)
    raise AssertionError(f"no link matching {pattern!r} on {browser.current_url}")


def _submit_empty(browser) -> None:
    """Submit the questionnaire as it stands, to reach its error summary."""
    for box in browser.find_elements(By.CSS_SELECTOR, "main form input[type=radio]:checked"):
        browser.execute_script("arguments[0].checked = false", box)
    browser.find_element(By.CSS_SELECTOR, "#questionnaire button[name=action][value=submit]").click()


def test_every_role_s_path_has_no_axe_violation_at_1280_and_320_px(
        app, demo, live_server, browser, screenshots):
    audit = Audit(browser, live_server, screenshots)

    # Anyone: the plan, a task force, the forms.
    audit.check("plan", "/")
    audit.check("task force", "/task-forces/A5")
    audit.check("login", "/login")
    audit.check("register", "/register")
    audit.check("new questionnaire link", "/q/new")
    audit.check("accessibility statement", "/accessibility")

    # A panellist: home, the study, the open round with feedback, its errors, help.
    log_in(browser, live_server, demo["panellist"], DEMO_PASSWORD)
    audit.check("panellist home", "/me")
    browser.get(live_server.url("/me"))
    study = _link(browser, r"/panel/studies/\d+$")
    audit.check("panellist study", study)
    browser.get(live_server.url(study))
    questionnaire = _link(browser, r"/panel/studies/\d+/rounds/\d+", last=True)  # the open round
    audit.check("questionnaire with feedback", questionnaire)
    audit.check("questionnaire with errors", questionnaire, prepare=_submit_empty)
    audit.check("help", "/panel/help")
    audit.check("password", "/account/password")
    audit.check("two-factor", "/account/two-factor")
    audit.check("join a task force", "/task-forces/A5/join")
    study_id = int(re.search(r"/panel/studies/(\d+)", study).group(1))
    audit.check("reminder settings", f"/studies/{study_id}/reminders")
    audit.check("withdrawal confirmation", f"/panel/studies/{study_id}/withdraw")
    audit.check("information sheet and consent", f"/panel/studies/{study_id}/consent")
    audit.check("profile", "/account/profile")
    audit.check("account erasure", "/account/erase")

    # The moderator: studies, the study, the protocol, rounds, dashboard, an item.
    browser.delete_all_cookies()
    log_in(browser, live_server, demo["moderator"], DEMO_PASSWORD)
    audit.check("studies", "/studies/")
    audit.check("study", f"/studies/{study_id}")
    audit.check("protocol", f"/studies/{study_id}/protocol")
    audit.check("consent texts", f"/studies/{study_id}/consent")
    audit.check("open round", f"/studies/{study_id}/rounds/4")
    audit.check("closing confirmation", f"/studies/{study_id}/rounds/4/close")
    audit.check("ending confirmation", f"/studies/{study_id}/end")
    audit.check("questionnaire preview", f"/studies/{study_id}/rounds/4/preview")
    audit.check("closed round", f"/studies/{study_id}/rounds/3")
    audit.check("dashboard", f"/studies/{study_id}/dashboard")
    audit.check("round dashboard", f"/studies/{study_id}/dashboard/rounds/3")
    browser.get(live_server.url(f"/studies/{study_id}/dashboard/rounds/3"))
    audit.check("item dashboard", _link(browser, r"/dashboard/rounds/3/items/\d+$"))
    audit.check("new item", f"/studies/{study_id}/items/new")
    audit.check("reminders", f"/studies/{study_id}/rounds/4/reminders")
    audit.check("new study", "/studies/new")

    # The researcher: exports, the report, the checklists.
    browser.delete_all_cookies()
    log_in(browser, live_server, demo["researcher"], DEMO_PASSWORD)
    audit.check("exports", f"/studies/{study_id}/exports")
    audit.check("report", f"/studies/{study_id}/report")
    audit.check("checklists", f"/studies/{study_id}/exports/checklists")

    # The secretariat.
    browser.delete_all_cookies()
    log_in(browser, live_server, demo["admin"], DEMO_PASSWORD)
    audit.check("administration", "/admin/")
    audit.check("applications", "/admin/applications")
    audit.check("organisations", "/admin/organisations")
    audit.check("task force administration", "/admin/task-forces/A5")

    audit.assert_clean()
