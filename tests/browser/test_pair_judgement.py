"""An affective matching trial (pair_judgement) in headless Chromium: a clip and a picture shown
together, the clip must be heard, the worded options Yes / No chosen with keys 1/2, everything
by keyboard, and axe-core finds nothing."""

import pytest

from studies.models import Response
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_trial_screen import reach_first_trial
from tests.browser.test_vis2mus_trial import built_study, play_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_pair_is_judged_yes_or_no_with_the_keyboard(live_server, page):
    study = built_study("affect_matching", n_pairs=1, items_per_class=2, selection="labels")
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    page.wait_for_selector("text=Task 1 of 2")
    assert page.inner_text("#prompt-heading") == "Listen to the clip and look at the picture"
    assert page.is_visible(".prompt img.prompt-image")
    assert page.inner_text("legend") == "Does this clip fit this picture?"
    words = [
        w.strip()
        for w in page.eval_on_selector_all(".option-words", "s => s.map(e => e.textContent)")
    ]
    assert sorted(words) == ["No", "Yes, it fits"]
    assert axe_violations(page) == []

    assert page.is_disabled("#submit-answer"), "the clip must be heard first"
    play_and_wait(page, "p")
    yes = words.index("Yes, it fits") + 1
    page.keyboard.press(str(yes))
    assert page.is_checked(f"#choice-{yes}")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=Task 2 of 2")
    assert page.evaluate("document.activeElement.id") == "trial-heading"
    assert page.is_disabled("#submit-answer")
    assert axe_violations(page) == []
    play_and_wait(page, "p")
    words = [
        w.strip()
        for w in page.eval_on_selector_all(".option-words", "s => s.map(e => e.textContent)")
    ]
    page.keyboard.press(str(words.index("No") + 1))
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('trial-screen')", timeout=10_000)

    answers = list(Response.objects.filter(participant__study=study).select_related("chosen"))
    assert [a.chosen.identity for a in sorted(answers, key=lambda a: a.sequence)] == ["yes", "no"]
    assert all(a.chosen.stimulus_id is None and a.heard_to_end for a in answers)
