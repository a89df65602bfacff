"""The dashboard's concordance table and "too few answers" cells fit 1280 and 320 px."""
from __future__ import annotations

import pytest

from tests.browser.support import log_in
from tests.browser.test_kinds_browser import _viewport
from tests.factories import answer_round, build_study, close, open_round_of

pytest.importorskip("selenium", reason="selenium is not installed in this environment")

pytestmark = pytest.mark.browser


def test_concordance_and_too_few_answers_fit_the_screen(app, live_server, browser, screenshots):
    world = build_study(app, n_panellists=6, n_items=3, min_n=5)
    open_round_of(app, world, 1)
    answer_round(app, world, 1, seed=3, who=world.panellists[:4])  # 4 < min n 5
    close(app, world, 1)
    log_in(browser, live_server, world.moderator)
    browser.get(live_server.url(f"/studies/{world.study_id}/dashboard/rounds/1"))
    page = browser.page_source
    assert "too few answers" in page and "Skillings–Mack (incomplete rankings)" in page
    for width in (1280, 320):
        _viewport(browser, width)
        browser.refresh()
        height = browser.execute_script("return document.documentElement.scrollHeight")
        _viewport(browser, width, min(height, 9000))
        browser.save_screenshot(str(screenshots / f"stats-dashboard-{width}.png"))
        # The concordance table (with its two new columns) scrolls inside its own box:
        # the page itself does not scroll sideways because of it.
        right = browser.execute_script(
            "return document.getElementById('concordance-chart-table').parentElement"
            ".getBoundingClientRect().right")
        assert right <= browser.execute_script("return document.documentElement.clientWidth") + 0.5
