"""The next trial arrives with the answer and replaces the last one in place; without a script
the same screen comes as a page."""

import pytest

from studies.models import Response
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def reach_first_trial(page, url: str) -> None:
    page.goto(url)
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    for _ in range(3):  # the questionnaire, the instructions, the examples
        page.click("button[type=submit]")


def test_image_prompt_trials_are_answered_after_every_clip_is_heard(live_server, page):
    study = create_built_study(
        design_params={"trial_type": "image_to_audio", "n_options": 3, "n_preview_per_class": 1}
    )
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    for number in (1, 2, 3):
        page.wait_for_selector(f"text=Task {number} of 9")
        assert page.title() == f"Task {number} of 9"
        buttons = page.query_selector_all("#trial-screen button.play")
        assert len(buttons) == 3, "one play button per option clip"
        for button in buttons:
            page.evaluate("document.getElementById('listen-status').textContent = ''")
            button.click()
            page.wait_for_function(
                "() => document.getElementById('listen-status').textContent.includes('finished')"
            )
        assert "Choose an option" in page.inner_text("#listen-status")
        page.keyboard.press("3")
        page.keyboard.press("Enter")
    page.wait_for_selector("text=Task 4 of 9")
    assert page.evaluate("document.activeElement.id") == "trial-heading"
    responses = list(Response.objects.filter(participant__study=study).order_by("sequence"))
    assert [r.position for r in responses] == [2, 2, 2]
    assert all(r.heard_to_end and r.fraction_heard == 1.0 for r in responses)


def test_without_a_script_each_answer_loads_the_next_page(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    study = create_built_study(design_params={"n_options": 3, "n_preview_per_class": 1})
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    for number in (1, 2):
        page.wait_for_selector(f"text=Task {number} of 9")
        page.check("#choice-2")
        page.click("#submit-answer")
    page.wait_for_selector("text=Task 3 of 9")
    context.close()
    responses = list(Response.objects.filter(participant__study=study).order_by("sequence"))
    assert [r.position for r in responses] == [1, 1]
    assert all(r.rt_ms is None and r.plays == 0 for r in responses), "no script, no telemetry"
