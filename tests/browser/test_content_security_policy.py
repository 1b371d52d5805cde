"""With the Content-Security-Policy in force, Chromium reports no violation anywhere: every
participant page (a trial answered through the script's answer path), the researcher's admin
and the HTML report."""

import pytest
from django.test import Client

from studies import colour_vision, headphones
from studies.models import Participant, Study
from studies.services import screening_secret
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${location.pathname}: ${event.effectiveDirective} blocked ${event.blockedURI} ${event.sample}`
  );
});
"""


@pytest.fixture
def watched_page(page):
    """The page, and the policy violations it reports (events and console messages)."""
    reported: list[str] = []
    page.expose_function("reportViolation", lambda text: reported.append(text))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and reported.append(message.text),
    )
    return page, reported


def test_no_participant_page_breaks_the_policy(live_server, watched_page):
    page, reported = watched_page
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(headphone_check=True, colour_vision_check=True)
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=csp-1")
    page.click("button[type=submit]")  # the error state first
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Headphone check")
    page.click("button.play-sound >> nth=0")
    participant = Participant.objects.get(study=study)
    secret = screening_secret(participant)
    for test, trials in headphones.trials_for(secret=secret).items():
        for trial in trials:
            page.check(f"#{test}-{trial.number}-{trial.answer}")
    page.click("#screening-form button[type=submit]")
    page.wait_for_selector("text=Colour check")
    for number, digit in enumerate(colour_vision.plate_digits(secret=secret)):
        page.fill(f"#plate-{number}", str(digit))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Instructions")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Examples")
    page.click("button[type=submit]")
    for number in (1, 2):
        page.wait_for_selector(f"text=Task {number} of 9")
        page.keyboard.press("p")
        page.wait_for_function(
            "() => document.querySelector('#listen-status').textContent.includes('finished')"
        )
        page.keyboard.press("1")
        page.keyboard.press("Enter")  # sent by the script; the reply shows the next trial
    page.wait_for_selector("text=Task 3 of 9")
    assert page.evaluate("() => document.querySelector('progress').value") == 50  # 7 of 14
    assert "Your resume code" in page.inner_text("footer")
    page.goto(f"{live_server.url}/p/no-such-token/")
    assert reported == [], "\n".join(reported)


def test_the_admin_and_the_html_report_keep_to_the_policy(live_server, watched_page, researcher):
    page, reported = watched_page
    study = create_built_study()
    Bot(client=Client(), study_slug=study.slug).take_whole_study()  # the report has tables
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")
    for path in (
        "/admin/studies/study/",
        f"/admin/studies/study/{study.pk}/change/",
        "/admin/studies/study/add/",
        "/admin/studies/stimulus/",
        "/admin/studies/participant/",
        "/admin/studies/response/",
        "/researcher/power-planner/?accuracy=0.6&n_options=3&alpha=0.05&power=0.8"
        "&trials_per_participant=20",
    ):
        assert page.goto(f"{live_server.url}{path}").status == 200, path
    report = page.goto(f"{live_server.url}/researcher/studies/{study.pk}/report.html")
    assert report.status == 200
    collapse = page.evaluate(
        "() => getComputedStyle(document.querySelector('table')).borderCollapse"
    )
    assert collapse == "collapse"
    styled = page.evaluate("() => getComputedStyle(document.body).maxWidth")
    assert styled == "1100px", "the report's own style applies"
    assert reported == [], "\n".join(reported)
