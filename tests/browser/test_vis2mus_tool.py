"""The Vis2Mus browser tool in headless Chromium, with a real worker rendering: a researcher
moves a slider with the keyboard only and sees the picture and hears the clip change; a
participant reaches the tool from the debrief and fuses a sketch with a style. Every state
passes axe-core and breaks no Content-Security-Policy rule."""

import pytest
from django.test import Client

from studies.models import Study
from tests.browser import test_content_security_policy as policy_test
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study
from tests.workers import conftest as worker_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow]
# Fixtures of other folders, used here too.
watched_page = policy_test.watched_page
worker_env, start_worker = worker_fixtures.worker_env, worker_fixtures.start_worker
READY = '#tool-result[data-status="ready"]'
RENDER_WAIT_MS = 90_000  # a cold worker loads torch and the model; a shared machine is slow


def log_in(page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")


def shown(page) -> dict:
    return page.evaluate(
        """() => ({
            key: document.querySelector('#tool-result').dataset.key,
            picture: document.querySelector('#tool-picture').currentSrc,
            pictureLoaded: document.querySelector('#tool-picture').naturalWidth,
            clip: document.querySelector('#tool-clip').currentSrc,
        })"""
    )


def wait_until_playing(page) -> None:
    page.wait_for_function(
        "() => { const a = document.querySelector('#tool-clip');"
        " return !a.paused && a.currentTime > 0.3; }",
        timeout=20_000,
    )


def test_a_researcher_moves_a_slider_with_the_keyboard_and_hears_the_music_change(
    live_server, watched_page, researcher, start_worker
):
    page, violations = watched_page
    start_worker(queues="cpu")
    log_in(page, live_server, "/researcher/vis2mus-tool/?photo=photo/coffee&texture=texture/1")
    page.wait_for_selector("text=Vis2Mus: pictures and music")
    page.wait_for_selector(READY, timeout=RENDER_WAIT_MS)
    before = shown(page)
    assert before["pictureLoaded"] == 128 and before["clip"].endswith("clip.flac")
    assert axe_violations(page) == []

    tab_to(page, "#brightness")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#brightness-value") == "+0.20"
    page.wait_for_function(
        "(key) => { const r = document.querySelector('#tool-result');"
        " return r.dataset.status === 'ready' && r.dataset.key !== key; }",
        arg=before["key"],
        timeout=RENDER_WAIT_MS,
    )
    after = shown(page)
    assert after["picture"] != before["picture"] and after["pictureLoaded"] == 128
    assert after["clip"] != before["clip"]
    wait_until_playing(page)
    assert "brightness +0.20" in page.inner_text("#tool-status")
    assert "brightness=0.2" in page.url, "a reload keeps the values"
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/researcher/vis2mus-tool/?brightness=3&contrast=-0.5")
    assert "Brightness 3 is outside [-1, 1]; 1 was used." in page.inner_text("#tool-notes")
    page.wait_for_selector("#tool-result[data-status=ready]", timeout=RENDER_WAIT_MS)
    clamped = page.inner_text("#tool-notes")
    assert "Brightness 3 is outside [-1, 1]; 1 was used." in clamped, "still said once rendered"
    assert page.input_value("#brightness") == "1"
    page.goto(f"{live_server.url}/researcher/vis2mus-tool/?texture=texture/99")
    assert "There is no music anchor 'texture/99'." in page.inner_text("#tool-notes")
    assert axe_violations(page) == []
    assert violations == []


def test_a_participant_opens_the_tool_after_the_debrief_and_fuses_with_the_keyboard(
    live_server, watched_page, start_worker
):
    page, violations = watched_page
    start_worker(queues="cpu")
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(
        design_params={**study.design_params, "tool_after_debrief": True}
    )
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study()
    page.goto(f"{live_server.url}{bot.url()}")
    assert axe_violations(page) == []
    page.click("text=Open the picture and music tool")
    page.wait_for_selector(READY, timeout=RENDER_WAIT_MS)
    assert page.locator("#checkpoint").count() == 0

    tab_to(page, "#mode-transform")
    page.keyboard.press("ArrowDown")  # the radio group moves to "Fuse"
    assert page.is_checked("#mode-fuse")
    assert page.is_visible("#sketch") and not page.is_visible("#photo")
    page.wait_for_function(
        "() => document.querySelector('#tool-result').dataset.status === 'ready'"
        " && location.search.includes('mode=fuse')",
        timeout=RENDER_WAIT_MS,
    )
    fused = shown(page)
    assert axe_violations(page) == []

    tab_to(page, "#contrast")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "(key) => { const r = document.querySelector('#tool-result');"
        " return r.dataset.status === 'ready' && r.dataset.key !== key; }",
        arg=fused["key"],
        timeout=RENDER_WAIT_MS,
    )
    assert shown(page)["clip"] != fused["clip"]
    assert f"/p/{bot.token}/tool/" in shown(page)["clip"]
    wait_until_playing(page)
    assert violations == []
