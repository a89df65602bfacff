"""The language menu and the profile page in headless Chromium (issue 12, part 1):
the menu works without JavaScript, fits 320 px with no horizontal scroll, and
the profile and registration forms take the browser's time zone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.support import log_in, wait_for
from tests.factories import build_study, open_round_of

pytestmark = pytest.mark.browser



def _page_lang(browser) -> str | None:
    """``<html lang>`` of the page in the window; None while a navigation replaces it.

    Read in one script, holding no element between two commands: mid-navigation
    Chromium refuses a node of the old document ("stale", or "does not belong to
    the document"), and either means "not yet"."""
    from selenium.common.exceptions import WebDriverException

    try:
        return browser.execute_script("return document.documentElement.lang")
    except WebDriverException:
        return None


def _viewport(browser, width: int, height: int = 900) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _page_width(browser) -> tuple[int, int]:
    return tuple(browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


def _shoot(browser, width, path):
    _viewport(browser, width)
    browser.refresh()
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
             message="the page to load")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    _viewport(browser, width, min(height, 6000))
    browser.save_screenshot(str(path))
    scroll, client = _page_width(browser)
    _viewport(browser, width)
    assert scroll <= client, f"{width} px: the page scrolls sideways ({scroll} > {client})"


def _user(app, email):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        found = (user.language, user.time_zone)
        db.session.remove()
        return found


def test_the_language_menu_fits_320_px_and_switches_with_a_plain_form(
        app, live_server, browser, screenshots):
    from selenium.webdriver.common.by import By

    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1)
    log_in(browser, live_server, world.moderator)  # the longest menu bar: moderator's links
    browser.get(live_server.url("/task-forces/A5"))
    for width in (1280, 320):
        _shoot(browser, width, screenshots / f"language-menu-{width}.png")
    # The menu is a plain form: no script of the page takes part in the switch.
    _viewport(browser, 320)
    browser.get(live_server.url("/task-forces/A5"))
    assert not browser.find_elements(By.CSS_SELECTOR, "script:not([src])")
    browser.find_element(By.CSS_SELECTOR, 'form.languages button[value="fr"]').click()
    wait_for(lambda: _page_lang(browser) == "fr",
             message="the page to come back in French")
    assert browser.current_url == live_server.url("/task-forces/A5")
    current = browser.find_element(By.CSS_SELECTOR, 'form.languages button[aria-current="true"]')
    assert current.get_attribute("value") == "fr" and current.text == "Français"
    assert _user(app, world.moderator)[0] == "fr"
    _shoot(browser, 320, screenshots / "language-menu-320-fr.png")


def test_the_profile_suggests_the_browser_s_zone_and_keeps_it(app, live_server, browser,
                                                               screenshots, make_user):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    user = make_user(language="en")
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    try:
        log_in(browser, live_server, user.email)
        browser.get(live_server.url("/account/profile"))
        zone = Select(browser.find_element(By.NAME, "time_zone"))
        wait_for(lambda: zone.first_selected_option.get_attribute("value") == "Asia/Tokyo",
                 message="the browser's zone to be suggested")
        for width in (1280, 320):
            _shoot(browser, width, screenshots / f"profile-{width}.png")
        zone = Select(browser.find_element(By.NAME, "time_zone"))
        wait_for(lambda: zone.first_selected_option.get_attribute("value") == "Asia/Tokyo",
                 message="the browser's zone to be suggested again")
        Select(browser.find_element(By.CSS_SELECTOR, 'main select[name="language"]')).select_by_value("es")
        browser.find_element(By.CSS_SELECTOR, "main form button").click()
        wait_for(lambda: _page_lang(browser) == "es",
                 message="the profile to be saved")
        assert _user(app, user.email) == ("es", "Asia/Tokyo")
        # A zone the user chose is never replaced by the browser's.
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Paris"})
        browser.get(live_server.url("/account/profile"))
        zone = Select(browser.find_element(By.NAME, "time_zone"))
        assert zone.first_selected_option.get_attribute("value") == "Asia/Tokyo"
    finally:
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})


def test_registration_records_the_browser_s_zone(app, live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/Santiago"})
    try:
        browser.get(live_server.url("/register"))
        wait_for(lambda: browser.find_element(By.NAME, "time_zone").get_attribute("value")
                 == "America/Santiago", message="the hidden field to be filled")
        for name, value in (("email", "browser-tz@example.org"), ("name", "Zoé Zone"),
                            ("password", "a long enough passphrase 7"),
                            ("organisation", "Independent"), ("country", "Chile")):
            browser.find_element(By.NAME, name).send_keys(value)
        Select(browser.find_element(By.NAME, "region")).select_by_index(0)
        browser.find_element(By.NAME, "consent").click()
        browser.find_element(By.CSS_SELECTOR, "main form button").click()
        wait_for(lambda: "/login" in browser.current_url, message="the registration to go through")
    finally:
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
    assert _user(app, "browser-tz@example.org")[1] == "America/Santiago"


def test_the_translation_warning_and_page_fit_1280_and_320(app, live_server, browser, screenshots):
    from selenium.webdriver.common.by import By

    world = build_study(app, n_panellists=2, n_items=2, criteria=("importance", "clarity"),
                        title="Soil carbon schemes", description="Which schemes to endorse.")
    log_in(browser, live_server, world.moderator)
    browser.get(live_server.url(f"/studies/{world.study_id}/rounds/1"))
    warning = browser.find_element(By.CSS_SELECTOR, "section.notice.warning")
    assert "Criterion clarity" in warning.text
    for width in (1280, 320):
        _shoot(browser, width, screenshots / f"round-translations-warning-{width}.png")
    browser.get(live_server.url(f"/studies/{world.study_id}/translations/fr"))
    for width in (1280, 320):
        _shoot(browser, width, screenshots / f"study-translations-{width}.png")
