"""The welcome page in Chromium: consent, questionnaire and instructions as steps, one at a time,
checked before the next is shown, and sent to the server in one request."""

import pytest

from studies.models import Participant
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_keyboard_user_goes_through_the_welcome_steps_and_the_server_hears_once(
    live_server, page
):
    study = create_built_study()
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.goto(f"{live_server.url}/s/{study.slug}/")
    assert not page.is_visible("text=About you")
    assert page.inner_text("button[type=submit]") == "Continue"

    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("h2:has-text('About you')")
    assert page.evaluate("() => document.activeElement.textContent") == "About you"
    assert not page.is_visible("#id_consent"), "one step at a time"

    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")  # nothing chosen yet
    page.wait_for_selector("#gender-error")
    assert page.inner_text("#gender-error") == "Please choose one of these."
    assert page.evaluate("() => document.activeElement.id") == "id_gender_0"
    assert page.get_attribute("fieldset.choices >> nth=0", "aria-describedby") == "gender-error"
    assert axe_violations(page) == []

    for group in ("gender", "age_band", "musical_level"):
        tab_to(page, f"input[name={group}]")
        page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("h2:has-text('Instructions')")
    assert page.inner_text("button[type=submit]") == "Start"
    assert page.evaluate("() => document.activeElement.getAttribute('aria-describedby')") == (
        "instructions-text"
    ), "the Start button has the focus and reads the instructions out"
    assert posts == [], "nothing sent before the last step"

    page.keyboard.press("Enter")
    page.wait_for_selector("text=Examples")
    assert len(posts) == 1
    participant = Participant.objects.get(study=study)
    assert participant.stage == Participant.Stage.PREVIEW
    assert participant.gender and participant.age_band and participant.musical_level
