"""The question kinds in a real browser (issue 11): every kind answered in
headless Chromium, the ranking reordered by the keyboard (up/down buttons)
and by dragging, then the same without JavaScript through the plain selects;
the answers submitted are the ones stored. Screenshots at 1280 and 320 px of
the questionnaire (round 1, and round 2 with each kind's feedback) and of the
item form, which must not scroll sideways."""
from __future__ import annotations

import pytest

import rounds
from tests.browser.support import log_in, wait_for
from tests.factories import (
    add_mixed_items,
    answer_round,
    build_study,
    close,
    get_round,
    open_round_of,
    panellist_of,
)

pytestmark = pytest.mark.browser
pytest.importorskip("selenium", reason="selenium is not installed in this environment")
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select


def questionnaire_url(server, world, number):
    return server.url(f"/panel/studies/{world.study_id}/rounds/{number}")


def click(browser, element):
    """Click like a person: the element in the middle of the screen, clear of the sticky buttons."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def type_into(browser, name, text):
    field = browser.find_element(By.NAME, name)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
    field.clear()
    field.send_keys(text)


def counted(app, world, email, number=1):
    """The panellist's response status and counted answers {item: answer}."""
    from delphi.core.database import db

    with app.app_context():
        q = rounds.questionnaire(get_round(world, number), panellist_of(world, email))
        out = (q.response_status, {i.item_id: (i.submitted.get("") if i.kind != "rating"
                                               else i.submitted.get("importance")) for i in q.items})
        db.session.remove()
        db.engine.dispose()
        return out


def set_language(app, email, language):
    from delphi.core.database import db
    from tests.factories import user_by_email

    with app.app_context():
        user_by_email(email).language = language
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _viewport(browser, width: int, height: int = 900) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _whole_page(browser, width, path, prepare=None):
    """A screenshot of the whole page at ``width`` (after ``prepare()``, if given);
    fails when anything sticks out sideways."""
    _viewport(browser, width)
    browser.refresh()
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
             message="the page to load")
    if prepare:
        prepare()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    _viewport(browser, width, min(height, 9000))
    browser.save_screenshot(str(path))
    wide = browser.execute_script("""
        var limit = document.documentElement.clientWidth, out = [];
        document.querySelectorAll('main *').forEach(function (el) {
          var box = el.getBoundingClientRect();
          if (box.width && (box.right > limit + 0.5 || box.left < -0.5)) { out.push(el.tagName + '#' + el.id + '.' + el.className); }
        });
        return out;""")
    hidden = browser.execute_script("""
        var out = [];
        document.querySelectorAll('main .scroll').forEach(function (el) {
          if (el.scrollWidth > el.clientWidth + 0.5) { out.push(el.firstElementChild.className); }
        });
        return out;""")
    _viewport(browser, width)
    assert not wide, f"{width} px: elements stick out: {wide[:5]}"
    assert not hidden, f"{width} px: tables scroll sideways: {hidden}"


@pytest.fixture
def mixed(app):
    world = build_study(app, n_panellists=6, n_items=1, carry_forward="all")
    ids = add_mixed_items(app, world)
    open_round_of(app, world, 1)
    return world, ids


def ranking_order(browser, item):
    return [li.get_attribute("data-value")
            for li in browser.find_elements(By.CSS_SELECTOR, f"#v-{item} .rank-list li")]


def test_every_kind_is_answered_with_javascript(app, live_server, browser, mixed, screenshots):
    world, (quantiles, single, probability, year, ranking) = mixed
    rating = world.item_ids[0]
    me = world.panellists[0]
    log_in(browser, live_server, me)
    browser.get(questionnaire_url(live_server, world, 1))
    for width in (1280, 320):
        _whole_page(browser, width, screenshots / f"kinds-round1-{width}.png")

    click(browser, browser.find_element(By.CSS_SELECTOR, f'input[name="r-{rating}-importance"][value="4"]'))
    type_into(browser, f"v-{quantiles}-p10", "10")
    type_into(browser, f"v-{quantiles}-p50", "25.5")
    type_into(browser, f"v-{quantiles}-p90", "40")
    type_into(browser, f"v-{single}", "120")
    type_into(browser, f"v-{probability}", "65")
    Select(browser.find_element(By.NAME, f"v-{year}")).select_by_value("2031")

    # The ranking: a list to reorder; its selects are hidden but still the form's inputs.
    assert not browser.find_element(By.ID, f"v-{ranking}-1").is_displayed()
    assert ranking_order(browser, ranking) == ["1", "2", "3", "4"]
    monitoring = browser.find_element(By.CSS_SELECTOR, f'#v-{ranking} li[data-value="3"] button')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", monitoring)
    monitoring.send_keys(Keys.ENTER)  # the keyboard's way: "Move up" on Monitoring
    assert ranking_order(browser, ranking) == ["1", "3", "2", "4"]
    assert browser.switch_to.active_element == monitoring  # the focus stays on the button
    assert "Monitoring is now at rank 2." in browser.find_element(
        By.CSS_SELECTOR, f"#v-{ranking} [aria-live]").get_attribute("textContent")
    handle = browser.find_element(By.CSS_SELECTOR, f'#v-{ranking} li[data-value="4"] .rank-handle')
    first = browser.find_element(By.CSS_SELECTOR, f'#v-{ranking} li[data-value="1"]')
    ActionChains(browser).click_and_hold(handle).move_to_element_with_offset(first, 0, -5) \
        .move_to_element_with_offset(first, 0, -first.size["height"] // 2 + 3).release().perform()
    wait_for(lambda: ranking_order(browser, ranking) == ["4", "1", "3", "2"], message="the drop")
    values = [browser.find_element(By.ID, f"v-{ranking}-{n}").get_attribute("value") for n in range(1, 5)]
    assert values == ["4", "1", "3", "2"]
    wait_for(lambda: "Draft saved" in browser.find_element(By.ID, "autosave-status").text,
             message="the autosave")

    # A value out of bounds is refused by the autosave, beside its field.
    type_into(browser, f"v-{probability}", "150")
    browser.find_element(By.NAME, f"v-{single}").click()  # leave the field: a change
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f"#v-{probability}-error, [data-autosave-error]"),
             message="the refusal")
    assert "Enter a percentage from 0 to 100." in browser.page_source
    type_into(browser, f"v-{probability}", "65")

    click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="action"][value="submit"]'))
    wait_for(lambda: "Thank you: your answers are submitted" in browser.page_source, message="the submission")
    status, answers = counted(app, world, me)
    assert status == "submitted"
    assert answers == {rating: 4, quantiles: {"p10": 10.0, "p50": 25.5, "p90": 40.0}, single: 120.0,
                       probability: 65.0, year: 2031, ranking: [4, 1, 3, 2]}
    # The page shows what counts, the ranking list in the order given.
    assert ranking_order(browser, ranking) == ["4", "1", "3", "2"]


def test_every_kind_is_answered_without_javascript(app, live_server, browser, mixed):
    world, (quantiles, single, probability, year, ranking) = mixed
    rating = world.item_ids[0]
    me = world.panellists[1]
    log_in(browser, live_server, me)
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(questionnaire_url(live_server, world, 1))
        assert not browser.find_elements(By.CSS_SELECTOR, ".rank-list")
        click(browser, browser.find_element(By.CSS_SELECTOR, f'input[name="r-{rating}-importance"][value="na"]'))
        type_into(browser, f"v-{quantiles}-p10", "5")
        type_into(browser, f"v-{quantiles}-p50", "7")
        type_into(browser, f"v-{quantiles}-p90", "6")  # out of order: refused
        click(browser, browser.find_element(By.ID, f"na-{single}"))
        type_into(browser, f"v-{probability}", "12.5")
        Select(browser.find_element(By.NAME, f"v-{year}")).select_by_value("later")
        for position, option in enumerate(("2", "4", "1", "3"), start=1):
            select = browser.find_element(By.NAME, f"v-{ranking}-{position}")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", select)
            Select(select).select_by_value(option)
        click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="action"][value="submit"]'))
        wait_for(lambda: "Please correct the marked fields." in browser.page_source, message="the refusal")
        assert browser.find_element(By.ID, f"v-{quantiles}-p90-error").text.startswith("Put the values in order")
        assert counted(app, world, me)[0] is None  # nothing stored
        # What was typed is still there; correct the one value and submit.
        assert browser.find_element(By.NAME, f"v-{probability}").get_attribute("value") == "12.5"
        assert Select(browser.find_element(By.NAME, f"v-{ranking}-2")).first_selected_option.get_attribute("value") == "4"
        type_into(browser, f"v-{quantiles}-p90", "9")
        click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="action"][value="submit"]'))
        wait_for(lambda: "Thank you: your answers are submitted" in browser.page_source, message="the submission")
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    status, answers = counted(app, world, me)
    assert status == "submitted"
    assert answers == {rating: None, quantiles: {"p10": 5.0, "p50": 7.0, "p90": 9.0}, single: None,
                       probability: 12.5, year: "later", ranking: [2, 4, 1, 3]}


def test_round_two_feedback_and_the_item_form_fit_the_screen(app, live_server, browser, mixed, screenshots):
    world, _ids = mixed
    answer_round(app, world, 1, seed=5)
    close(app, world, 1)
    open_round_of(app, world, 2)
    log_in(browser, live_server, world.panellists[0])
    browser.get(questionnaire_url(live_server, world, 2))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.strip")) == 4  # two estimates, probability, year
    assert browser.find_elements(By.CSS_SELECTOR, "table.ranking-feedback")
    for width in (1280, 320):
        _whole_page(browser, width, screenshots / f"kinds-round2-{width}.png")
    # In French (longer words) too.
    browser.delete_all_cookies()
    set_language(app, world.panellists[1], "fr")
    log_in(browser, live_server, world.panellists[1])
    browser.get(questionnaire_url(live_server, world, 2))
    assert "Classer dans cet ordre" in browser.page_source
    _whole_page(browser, 320, screenshots / "kinds-round2-fr-320.png")
    browser.delete_all_cookies()
    log_in(browser, live_server, world.moderator)
    browser.get(live_server.url(f"/studies/{world.study_id}/items/new"))
    # With JavaScript only the chosen kind's parameters show.
    Select(browser.find_element(By.NAME, "kind")).select_by_value("estimate")
    assert browser.find_element(By.ID, "params-estimate").is_displayed()
    assert not browser.find_element(By.ID, "params-ranking").is_displayed()
    def estimate():
        Select(browser.find_element(By.NAME, "kind")).select_by_value("estimate")

    for width in (1280, 320):
        _whole_page(browser, width, screenshots / f"kinds-item-form-{width}.png", estimate)
    browser.find_element(By.NAME, "text").send_keys("Year by which every partner reports soil carbon")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("year")
    type_into(browser, "year_min", "2030")
    type_into(browser, "year_max", "2025")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#item-form > button"))
    wait_for(lambda: browser.find_elements(By.ID, "year_max-error"), message="the form error")
    assert browser.find_element(By.ID, "year_max-error").text == "The last year must come after the first."
    assert browser.find_element(By.ID, "params-year").is_displayed()
    _whole_page(browser, 320, screenshots / "kinds-item-form-error-320.png")
