"""The dashboard's inference section in headless Chromium at 1280 and 320 px:
it shows the recommendation, and nothing of it sticks out sideways (its wide
tables scroll inside their ``.scroll`` box)."""
from __future__ import annotations

import pytest

from tests.browser.support import log_in, wait_for
from tests.test_stopping_recommendation import world  # noqa: F401  (the study fixture)

pytest.importorskip("selenium", reason="selenium is not installed in this environment")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser


def test_inference_section_fits_1280_and_320(app, world, live_server, browser,  # noqa: F811
                                             screenshots):
    log_in(browser, live_server, world.moderator)
    browser.get(live_server.url(f"/studies/{world.study_id}/dashboard/rounds/2"))
    wait_for(lambda: browser.find_elements(By.ID, "inference"), message="the inference section")
    assert browser.find_element(By.ID, "round-recommendation").text
    for width in (1280, 320):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        browser.refresh()
        wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
                 message="the page to load")
        browser.execute_script("document.getElementById('inference').scrollIntoView()")
        height = browser.execute_script(
            "var s = document.getElementById('inference'); return s.offsetTop + s.offsetHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(int(height) + 50, 9000), "deviceScaleFactor": 1,
            "mobile": False})
        browser.save_screenshot(str(screenshots / f"inference-{width}.png"))
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        wide = browser.execute_script("""
            var limit = document.documentElement.clientWidth, out = [];
            document.querySelectorAll('main *').forEach(function (el) {
              var box = el.getBoundingClientRect();
              if (box.width && box.right > limit + 0.5 && !el.closest('.scroll')) {
                var sec = el.closest('section'); out.push((sec ? sec.id : '') + ' ' + el.tagName + '#' + el.id);
              }
            });
            return out;""")
        mine = [w for w in wide if w.startswith("inference ")]
        assert not mine, f"{width} px: the inference section sticks out: {mine[:5]}"
        if width == 1280:
            assert overflow <= 0, f"{width} px: the page scrolls sideways by {overflow} px"
