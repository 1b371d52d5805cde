"""Two pages a keyboard user meets before the tasks: the consent error and the examples."""

import pytest

from tests.browser.test_keyboard_participant import answer_demographics, tab_to
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_consent_error_puts_the_focus_on_the_checkbox_it_is_about(live_server, page):
    study = create_built_study()
    page.goto(f"{live_server.url}/s/{study.slug}/")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")  # without ticking the box
    page.wait_for_selector("#consent-error")
    assert page.evaluate("() => document.activeElement.id") == "id_consent"
    page.keyboard.press("Space")  # so ticking it is one key away
    assert page.is_checked("#id_consent")


def test_the_examples_take_one_tab_stop_per_pair_and_play_with_the_keyboard(live_server, page):
    study = create_built_study(design_params={"n_options": 3, "n_preview_per_class": 2})
    page.goto(f"{live_server.url}/s/{study.slug}/")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_selector("text=About you")
    answer_demographics(page)
    page.wait_for_selector("text=Instructions")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Examples")
    pairs = page.locator("li.example").count()
    assert pairs >= 3

    tab_to(page, "button.play-example")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const a = document.getElementById('example-clip-1');"
        " return a && !a.paused && a.currentTime > 0; }"
    )
    assert page.get_attribute("button.play-example >> nth=0", "aria-pressed") == "true"
    presses = 0
    while not page.evaluate("() => document.activeElement.matches('button[type=submit]')"):
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= pairs + 1, "more than one tab stop per pair"
    assert presses == pairs  # the other Play buttons, then Start

    for image in page.locator("li.example img").all():  # sized before they load: no jumps
        assert int(image.get_attribute("width")) > 0 and int(image.get_attribute("height")) > 0


def test_a_keyboard_user_can_skip_the_examples(live_server, page):
    study = create_built_study(design_params={"n_options": 3, "n_preview_per_class": 2})
    page.goto(f"{live_server.url}/s/{study.slug}/")
    page.check("#id_consent")
    page.click("button[type=submit]")
    answer_demographics(page)
    page.wait_for_selector("text=Instructions")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Examples")
    tab_to(page, "a.skip-examples")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.matches('button[type=submit]')")
