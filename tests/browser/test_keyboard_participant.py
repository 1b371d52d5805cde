"""A participant takes a whole study in headless Chromium with the keyboard only, real audio."""

import pytest

from studies.models import Participant, Response
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tab_to(page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user does."""
    for _ in range(limit):
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key")


def answer_demographics(page) -> None:
    """Tab into each radio group, move with the arrow keys, select with Space."""
    for group, index in (("gender", 1), ("age_band", 0), ("musical_level", 2)):
        tab_to(page, f"input[name={group}]")
        for _ in range(index):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")


def test_a_participant_completes_a_study_with_the_keyboard_only(live_server, page):
    study = create_built_study()
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=kbd-1&STUDY_ID=s&SESSION_ID=x")

    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=About you")
    answer_demographics(page)

    page.wait_for_selector("text=Instructions")
    page.keyboard.press("Enter")  # the Continue button has the focus

    page.wait_for_selector("text=Examples")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=Task 1 of 9")
    page.keyboard.press("1")
    page.keyboard.press("Enter")  # too early: the clip has not been heard yet
    assert "play the clip to the end" in page.inner_text("#listen-status").lower()
    assert page.is_visible("text=Task 1 of 9")

    for number in range(1, 10):
        page.wait_for_selector(f"text=Task {number} of 9")
        page.keyboard.press("p")
        page.wait_for_function(
            "() => document.querySelector('#listen-status').textContent.includes('finished')"
        )
        page.wait_for_timeout(250)  # a person takes a moment to choose
        page.keyboard.press(str(number % 3 + 1))
        page.keyboard.press("Enter")

    page.wait_for_selector("text=Thank you!")
    assert study.completion_code in page.inner_text(".completion-code")

    participant = Participant.objects.get(prolific_pid="kbd-1")
    assert participant.stage == Participant.Stage.DONE
    assert participant.musical_level == "professional"
    responses = list(Response.objects.filter(participant=participant).order_by("sequence"))
    assert len(responses) == 9
    assert [r.position for r in responses] == [n % 3 for n in range(1, 10)]
    assert all(r.heard_to_end for r in responses)
    assert all(r.fraction_heard == 1.0 for r in responses)
    assert all(r.pauses == 0 and not r.hidden_while_playing for r in responses)
    assert all(r.plays >= 1 for r in responses)
    assert all(r.rt_ms is not None and r.rt_ms >= 0 for r in responses)
    # Clips played through Web Audio: the reaction time is also read on the audio clock, from
    # the clip's end as heard (output latency later than the page's "ended" event); the two
    # clocks agree to well under a second.
    assert all(r.audio_rt_ms is not None and r.audio_rt_ms >= 0 for r in responses), [
        (r.rt_ms, r.audio_rt_ms) for r in responses
    ]
    assert all(abs(r.audio_rt_ms - r.rt_ms) < 500 for r in responses), [
        (r.rt_ms, r.audio_rt_ms) for r in responses
    ]
    assert all(r.client_sent_at is not None for r in responses)


def reach_first_trial(page, url: str) -> None:
    page.goto(url)
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    page.click("button[type=submit]")
    page.click("button[type=submit]")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Task 1 of 9")
    # The heading is on screen before the page script has run; a key pressed then is lost.
    page.wait_for_load_state("load")


def test_a_browser_without_web_audio_plays_the_clips_and_sends_the_page_clock_only(
    live_server, page
):
    page.add_init_script("delete window.AudioContext; delete window.webkitAudioContext;")
    study = create_built_study()
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    for number in (1, 2):
        page.wait_for_selector(f"text=Task {number} of 9")
        page.click("button.play")
        page.wait_for_function(
            "() => document.querySelector('#listen-status').textContent.includes('finished')"
        )
        page.keyboard.press("2")
        page.keyboard.press("Enter")
    page.wait_for_selector("text=Task 3 of 9")

    responses = list(Response.objects.filter(participant__study=study).order_by("sequence"))
    assert [r.position for r in responses] == [1, 1]
    assert all(r.heard_to_end and r.fraction_heard == 1.0 for r in responses)
    assert all(r.rt_ms is not None and r.audio_rt_ms is None for r in responses)


def test_reloading_a_trial_page_keeps_the_place_and_the_recorded_answers(live_server, page):
    study = create_built_study()
    reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
    page.keyboard.press("p")
    page.wait_for_function(
        "() => document.querySelector('#listen-status').textContent.includes('finished')"
    )
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Task 2 of 9")
    page.reload()
    page.wait_for_selector("text=Task 2 of 9")
    page.go_back()
    page.wait_for_selector("text=Task 2 of 9")
    assert Response.objects.filter(participant__study=study).count() == 1


def test_a_participant_passes_the_headphone_check_with_real_generated_audio(live_server, page):
    from studies import headphones
    from studies.models import Study
    from studies.services import screening_secret

    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(headphone_check=True)
    page.goto(f"{live_server.url}/s/{study.slug}/")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Headphone check")

    for button in page.query_selector_all("button.play-sound")[:4]:  # calibration + question 1
        page.evaluate("document.getElementById('sound-status').textContent = ''")
        button.click()
        page.wait_for_function(
            "() => document.getElementById('sound-status').textContent.includes('finished')"
        )

    participant = Participant.objects.get(study=study)
    for test, trials in headphones.trials_for(secret=screening_secret(participant)).items():
        for trial in trials:
            page.check(f"#{test}-{trial.number}-{trial.answer}")
    page.click("#screening-form button[type=submit]")
    page.wait_for_selector("text=Instructions")
    participant.refresh_from_db()
    assert participant.screening_scores == {"huggins": 6, "antiphase": 6}
