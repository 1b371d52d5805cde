"""A Vis2Mus transformation trial in headless Chromium: the anchor pair is shown and plays, the
two clips must be heard, everything by keyboard, and axe-core finds nothing."""

import pytest

from studies import generation, services
from studies.models import Response, Study
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.browser.test_trial_screen import reach_first_trial

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STATUS = "document.getElementById('listen-status').textContent"


def built_study(kind: str, **params) -> Study:
    study = services.study_create(name=kind, kind=kind, seed=1, design_params=params)
    job = generation.study_generate(study=study)
    generation.generation_job_prepare(job_id=job.pk)
    generation.generation_job_run(job_id=job.pk)
    study.refresh_from_db()
    assert study.status == Study.Status.READY, study.build_problems
    return services.study_publish(study=study)


def play_and_wait(page, key: str) -> None:
    """Press `key` (on the focused button, or a shortcut) and wait for the clip to end."""
    page.evaluate(f"{STATUS} = ''")
    page.keyboard.press(key)
    page.wait_for_function(f"() => {STATUS}.includes('finished')", timeout=20_000)


def test_a_transformation_trial_is_taken_with_the_keyboard_and_the_pair_plays(live_server, page):
    study = built_study("vis2mus_brightness", n_anchors=1)
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    page.wait_for_selector("text=Task 1 of 2")
    assert page.inner_text("#reference-heading") == "The pair you heard before"
    assert page.is_visible(".references img.reference-image")
    assert axe_violations(page) == []

    play_and_wait(page, "r")  # the anchor's clip, again
    assert page.is_disabled("#submit-answer"), "the reference is not one of the clips to judge"
    for number in (1, 2):
        tab_to(page, f"button[data-audio=option-audio-{number}]")
        play_and_wait(page, "Enter")
    assert "Choose an option" in page.inner_text("#listen-status")
    page.keyboard.press("2")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=Task 2 of 2")
    assert page.evaluate("document.activeElement.id") == "trial-heading"
    tab_to(page, "button[data-audio=reference-audio-1]")
    play_and_wait(page, "Space")  # the swapped-in trial's pair plays too
    assert page.is_disabled("#submit-answer")
    assert axe_violations(page) == []

    answer = Response.objects.get(participant__study=study)
    assert answer.position == 1 and answer.plays == 3
    assert answer.heard_to_end and answer.fraction_heard == 1.0


def test_a_style_trial_shows_the_four_pairs_accessibly(live_server, page):
    study = built_study("vis2mus_style", n_sets=1, style_iterations=1)
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    page.wait_for_selector("text=Task 1 of 4")
    assert page.inner_text("#reference-heading") == "The pairs you heard before"
    assert len(page.query_selector_all(".reference-pair")) == 4
    assert len(page.query_selector_all("button[data-audio^=option-audio]")) == 4
    assert axe_violations(page) == []
