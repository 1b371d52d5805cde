"""A period matching trial (a clip, then clips to choose from) in headless Chromium: the
prompt and every option must be heard, everything by keyboard, and axe-core finds nothing."""

import pytest

from studies.models import Response
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.browser.test_vis2mus_trial import STATUS, built_study, play_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def reach_first_trial(page, url: str) -> None:
    """Consent, the questionnaire, the instructions (this kind has no examples page)."""
    page.goto(url)
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    for _ in range(2):
        page.click("button[type=submit]")


def test_a_period_matching_trial_is_taken_by_keyboard_after_every_clip_is_heard(live_server, page):
    study = built_study(
        "period_matching",
        n_trials=2,
        n_options=3,
        min_gap=40,
        pool_works=8,
        clip_seconds=5,
    )
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    page.wait_for_selector("text=Task 1 of 2")
    assert page.inner_text("#prompt-heading") == "The clip to match"
    assert page.inner_text("fieldset.options legend") == (
        "Which of these clips is from the same period?"
    )
    assert len(page.query_selector_all("button[data-audio^=option-audio]")) == 3
    assert axe_violations(page) == []

    play_and_wait(page, "p")  # the clip to match
    assert page.is_disabled("#submit-answer"), "the options must be heard too"
    for number in (1, 2):
        tab_to(page, f"button[data-audio=option-audio-{number}]")
        play_and_wait(page, "Enter")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    assert page.is_disabled("#submit-answer"), "clip 3 is still unheard"
    assert "play every clip" in page.evaluate(STATUS).lower()
    tab_to(page, "button[data-audio=option-audio-3]")
    play_and_wait(page, "Enter")
    page.keyboard.press("3")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=Task 2 of 2")
    assert page.evaluate("document.activeElement.id") == "trial-heading"
    assert axe_violations(page) == []
    answer = Response.objects.get(participant__study=study)
    assert answer.position == 2 and answer.plays == 4
    assert answer.heard_to_end and answer.fraction_heard == 1.0
