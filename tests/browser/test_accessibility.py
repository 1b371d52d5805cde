"""Every participant page passes axe-core's WCAG 2.2 A/AA rules in headless Chromium."""

from pathlib import Path

import pytest
from django.test import Client, override_settings

from studies.models import Study
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run ./synlab setup (npm ci)")
    # Run in the page as the browser's tools would: an injected <script> would break the
    # page's Content-Security-Policy (script-src 'self'), which is on here as in production.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]


def test_every_participant_page_meets_wcag_aa(live_server, page):
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(headphone_check=True, colour_vision_check=True)
    checked = {}

    def check(name: str) -> None:
        checked[name] = axe_violations(page)

    page.goto(f"{live_server.url}/s/{study.slug}/")
    check("consent")
    page.click("button[type=submit]")  # without ticking: the error state
    check("consent with error")
    page.check("#id_consent")
    page.click("button[type=submit]")
    check("demographics")
    page.check("#id_gender_0"), page.check("#id_age_band_1"), page.check("#id_musical_level_0")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Headphone check")
    check("headphone check")
    from studies import headphones
    from studies.models import Participant
    from studies.services import screening_secret

    participant = Participant.objects.get(study=study)
    for test, trials in headphones.trials_for(secret=screening_secret(participant)).items():
        for trial in trials:
            page.check(f"#{test}-{trial.number}-{trial.answer}")
    page.click("#screening-form button[type=submit]")
    page.wait_for_selector("text=Colour check")
    check("colour check")
    from studies import colour_vision

    for number, digit in enumerate(
        colour_vision.plate_digits(secret=screening_secret(participant))
    ):
        page.fill(f"#plate-{number}", str(digit))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Instructions")
    check("instructions")
    page.click("button[type=submit]")
    check("examples")
    page.click("button[type=submit]")
    check("trial")
    finished = Bot(client=Client(), study_slug=study.slug)
    finished.take_whole_study()
    page.goto(f"{live_server.url}{finished.url()}")
    check("debrief with completion code")
    screened = Bot(client=Client(), study_slug=study.slug)
    screened.open_link(), screened.consent()
    screened.submit(
        "demographics", {"gender": "male", "age_band": "18-24", "musical_level": "amateur"}
    )
    screened.pass_headphone_check(correct=False)  # ends at the screened-out page
    page.goto(f"{live_server.url}{screened.url()}")
    check("screened out")
    page.goto(f"{live_server.url}/p/no-such-token/")
    check("not found")
    Bot(client=Client(), study_slug=study.slug, query="?PROLIFIC_PID=taken").consent()
    page.goto(f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID=taken")
    page.fill("#resume-code", "WRONG-CODE")
    page.click("button[type=submit]")
    check("resume code, wrong")
    page.context.clear_cookies()  # a new visitor
    with override_settings(SYNLAB_RATE_ENROL="0/60"):
        page.goto(f"{live_server.url}/s/{study.slug}/")
        page.click("button[type=submit]")
        check("too many requests")
    Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    page.goto(f"{live_server.url}/s/{study.slug}/")
    check("closed")

    failures = {name: found for name, found in checked.items() if found}
    assert not failures, failures
    assert len(checked) == 14


def test_the_front_door_meets_wcag_aa_for_visitors_and_researchers(live_server, page, researcher):
    create_built_study()
    page.goto(f"{live_server.url}/")
    visitor = axe_violations(page)
    client = Client()
    client.force_login(researcher)
    session = client.cookies["sessionid"]
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/")
    assert page.locator("table.front-studies tbody tr").count() == 1
    assert {"visitor": visitor, "researcher": axe_violations(page)} == {
        "visitor": [],
        "researcher": [],
    }
