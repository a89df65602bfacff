"""The questionnaire in a real browser (issue 10): after submitting, a changed
radio button is autosaved and counted, the page says so, and the frozen
statistics hold the answer last shown; a change that cannot count is said so
at once; the page fits a 320 px screen."""
from __future__ import annotations

import pytest

import rounds
from tests.browser.support import log_in, wait_for
from tests.factories import answer_round, build_study, close, get_round, open_round_of, user_by_email

pytestmark = pytest.mark.browser
pytest.importorskip("selenium", reason="selenium is not installed in this environment")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


def questionnaire_url(server, world, number):
    return server.url(f"/panel/studies/{world.study_id}/rounds/{number}")


def radio(browser, item_id, value):
    return browser.find_element(By.CSS_SELECTOR, f'input[name="r-{item_id}-importance"][value="{value}"]')


def click(browser, element):
    """Click like a person: the element in the middle of the screen, clear of the sticky buttons."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def text_of(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def frozen(app, world, number):
    with app.app_context():
        results = rounds.round_results(get_round(world, number))
    return {row["item"]: (row["median"], row["counts"]) for row in results["items"]}


def set_language(app, email, language):
    from delphi.core.database import db

    with app.app_context():
        user_by_email(email).language = language
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_change_after_submitting_is_shown_and_counted(app, live_server, browser):
    world = build_study(app, n_panellists=5, n_items=3)
    first, second, third = world.item_ids
    open_round_of(app, world, 1)
    others = world.panellists[1:]
    spread = dict(zip(others, (1, 1, 5, 5)))
    answer_round(app, world, 1, lambda email, item, c: spread[email] if item == first else 3, who=others)
    me = world.panellists[0]

    log_in(browser, live_server, me)
    browser.get(questionnaire_url(live_server, world, 1))
    for item in world.item_ids:
        click(browser, radio(browser, item, 2))
    click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="action"][value="submit"]'))
    wait_for(lambda: "Thank you: your answers are submitted" in browser.page_source, message="the submission")
    assert "submitted" in text_of(browser, "answer-status")

    # One radio button changed after submitting: the autosave re-submits, and says so.
    click(browser, radio(browser, first, 5))
    wait_for(lambda: "your submitted answers are updated" in text_of(browser, "autosave-status"),
             message="the autosave to answer")
    assert "The answers shown are the ones that count" in text_of(browser, "answer-status")

    browser.refresh()
    assert radio(browser, first, 5).is_selected() and radio(browser, second, 2).is_selected()
    status = text_of(browser, "answer-status")
    assert "submitted" in status and "The answers shown are the ones that count" in status
    assert "not counted" not in browser.page_source

    # The moderator closes the round: the frozen figures hold the answer last shown.
    close(app, world, 1)
    assert frozen(app, world, 1) == {first: (5.0, [2, 0, 0, 0, 3]), second: (3.0, [0, 1, 4, 0, 0]),
                                     third: (3.0, [0, 1, 4, 0, 0])}
    browser.refresh()
    assert "This round is closed." in browser.page_source
    assert radio(browser, first, 5).is_selected()
    assert "The answers shown are the ones that counted." in text_of(browser, "answer-status")


@pytest.fixture
def round_two(app):
    """Round 1 closed with item 1 rated 1,2,3,3,4,5 (IQR 2.25–3.75; the study asks
    for a reason outside it), item 2 all 3; round 2 open, everybody submitted 3."""
    world = build_study(app, n_panellists=6, n_items=2, require_reason_outside_iqr=True,
                        carry_forward="all", title="Soil carbon in grasslands")
    first, second = world.item_ids
    spread = [1, 2, 3, 3, 4, 5]
    answer_round(app, world, 1, {e: {first: {"importance": spread[k]}, second: {"importance": 3}}
                                 for k, e in enumerate(world.panellists)},
                 comments={world.panellists[1]: {first: "Measuring costs more than the payments bring in."}})
    close(app, world, 1)
    answer_round(app, world, 2, lambda email, item, c: 3)
    return world


def test_a_change_that_needs_a_reason_is_said_uncounted_at_once(app, live_server, browser, round_two):
    world = round_two
    first, _second = world.item_ids
    me = world.panellists[0]
    log_in(browser, live_server, me)
    browser.get(questionnaire_url(live_server, world, 2))
    assert "The answers shown are the ones that count" in text_of(browser, "answer-status")
    reason_box = browser.find_element(By.CSS_SELECTOR, f'.reason[data-for="r-{first}-importance"]')
    assert not reason_box.is_displayed()  # inside the IQR: no reason asked

    click(browser, radio(browser, first, 5))  # outside the IQR, no reason yet
    wait_for(lambda: "not counted yet" in text_of(browser, "autosave-status"), message="the autosave")
    status = browser.find_element(By.ID, "answer-status")
    assert "uncounted" in status.get_attribute("class")
    assert "give the missing reason and press Submit" in status.text
    assert reason_box.is_displayed() and "has-error" in reason_box.get_attribute("class")
    assert "outside the group's interquartile range" in reason_box.text
    live = browser.find_element(By.ID, "autosave-status")
    assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
    assert frozen_after_close_would_be_old(app, world)

    textarea = reason_box.find_element(By.TAG_NAME, "textarea")
    assert textarea.get_attribute("aria-invalid") == "true"
    textarea.send_keys("New measurements on our farms.")
    textarea.send_keys(Keys.TAB)  # leaving the field autosaves it
    wait_for(lambda: "your submitted answers are updated" in text_of(browser, "autosave-status"),
             message="the autosave of the reason")
    assert "uncounted" not in browser.find_element(By.ID, "answer-status").get_attribute("class")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-autosave-error]")
    close(app, world, 2)
    assert frozen(app, world, 2)[first] == (3.0, [0, 0, 5, 0, 1])


def frozen_after_close_would_be_old(app, world) -> bool:
    """The counted answer is still the one submitted before the change."""
    with app.app_context():
        from delphi.core.database import db
        from tests.factories import panellist_of

        q = rounds.questionnaire(get_round(world, 2), panellist_of(world, world.panellists[0]))
        counted = q.items[0].submitted == {"importance": 3} and q.has_unsubmitted_changes
        db.session.remove()
        db.engine.dispose()
        return counted


def _viewport(browser, width: int, height: int = 900) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_questionnaire_fits_the_screen(app, live_server, browser, round_two, screenshots, language):
    """No horizontal scroll at 320 px (nor at 1280 px), in English and French;
    screenshots of both, with an uncounted change on show."""
    world = round_two
    first, _second = world.item_ids
    me = world.panellists[0]
    set_language(app, me, language)
    log_in(browser, live_server, me)
    browser.get(questionnaire_url(live_server, world, 2))
    click(browser, radio(browser, first, 5))
    wait_for(lambda: "uncounted" in browser.find_element(By.ID, "answer-status").get_attribute("class"),
             message="the autosave")
    for width in (1280, 320):
        _viewport(browser, width)
        browser.refresh()
        wait_for(lambda: browser.execute_script("return document.readyState") == "complete",
                 message="the page to load")
        # What one sees while rating: the scale, the reason, the buttons and status in view.
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", radio(browser, first, 5))
        browser.save_screenshot(str(screenshots / f"questionnaire-{language}-{width}-rating.png"))
        height = browser.execute_script("return document.documentElement.scrollHeight")
        _viewport(browser, width, min(height, 8000))  # the whole page on the screenshot
        browser.save_screenshot(str(screenshots / f"questionnaire-{language}-{width}.png"))
        sizes = browser.execute_script(
            "var d = document.documentElement; return [d.scrollWidth, d.clientWidth];")
        assert sizes[0] <= sizes[1], f"{language}, {width} px: the page scrolls sideways ({sizes})"
        wide = browser.execute_script("""
            var limit = document.documentElement.clientWidth, out = [];
            document.querySelectorAll('main *').forEach(function (el) {
              var box = el.getBoundingClientRect();
              if (box.width && (box.right > limit + 0.5 || box.left < -0.5)) { out.push(el.tagName + '#' + el.id + '.' + el.className); }
            });
            return out;""")
        assert not wide, f"{language}, {width} px: elements stick out: {wide[:5]}"
        _viewport(browser, width)
    set_language(app, me, "en")
