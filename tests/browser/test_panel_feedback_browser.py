"""The questionnaire's feedback at a glance and orientation in a real browser (issue 12):
round 2 with its charts and split feedback fits 1280 px and 320 px with no sideways
scroll; the progress line follows the autosave; a page move keeps every answer."""
from __future__ import annotations

import pytest

from tests.browser.support import log_in, wait_for
from tests.browser.test_kinds_browser import _whole_page
from tests.factories import answer_round, build_study, close, open_round_of, user_by_email

pytestmark = pytest.mark.browser
pytest.importorskip("selenium", reason="selenium is not installed in this environment")
from selenium.webdriver.common.by import By  # noqa: E402


def url(server, world, number, page=None):
    return server.url(f"/panel/studies/{world.study_id}/rounds/{number}" + (f"?page={page}" if page else ""))


def click(browser, element):
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


@pytest.fixture
def second_round(app):
    """Round 2 of 8 rated items on two criteria, feedback split by stakeholder group."""
    from delphi.core.database import db

    world = build_study(app, n_panellists=12, n_items=8, criteria=("importance", "feasibility"),
                        carry_forward="all", feedback_strata="stakeholder_group")
    with app.app_context():
        for i, email in enumerate(world.panellists):
            user_by_email(email).stakeholder_group = ("research", "ngo", "farmers")[min(i // 5, 2)]
        db.session.commit()
    answer_round(app, world, 1, seed=7, comments=lambda email, item: "Cover crops first." if item == world.item_ids[0] and email == world.panellists[3] else None)
    close(app, world, 1)
    open_round_of(app, world, 2)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return world


def test_the_feedback_fits_both_widths_and_the_progress_follows_the_autosave(
        app, live_server, browser, second_round, screenshots):
    world = second_round
    log_in(browser, live_server, world.panellists[0])
    browser.get(url(live_server, world, 2))
    assert browser.find_elements(By.CSS_SELECTOR, "svg.rating-chart title")
    for width in (1280, 320):
        _whole_page(browser, width, screenshots / f"feedback-round2-{width}.png")
    assert "0 of 8 items answered" in browser.find_element(By.ID, "progress-text").text
    first = world.item_ids[0]
    for criterion in ("importance", "feasibility"):
        click(browser, browser.find_element(By.CSS_SELECTOR, f'input[name="r-{first}-{criterion}"][value="4"]'))
    wait_for(lambda: "1 of 8 items answered" in browser.find_element(By.ID, "progress-text").text,
             message="the progress to follow the autosave")
    assert not browser.find_element(By.CSS_SELECTOR, f'#unanswered li[data-item="{first}"]').is_displayed()
    # A page move (a submit button) keeps the answers of both pages.
    click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="goto"][value="2"]'))
    wait_for(lambda: "page=2" in browser.current_url, message="page 2")
    last = world.item_ids[-1]
    click(browser, browser.find_element(By.CSS_SELECTOR, f'input[name="r-{last}-importance"][value="2"]'))
    click(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="goto"][value="1"]'))
    wait_for(lambda: "page=1" in browser.current_url, message="page 1")
    assert browser.find_element(By.CSS_SELECTOR, f'input[name="r-{first}-feasibility"][value="4"]').is_selected()
    browser.get(url(live_server, world, 2, page=2))
    assert browser.find_element(By.CSS_SELECTOR, f'input[name="r-{last}-importance"][value="2"]').is_selected()
