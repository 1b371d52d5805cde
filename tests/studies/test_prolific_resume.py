"""A Prolific id is a credential: knowing someone's id does not open their session.

The browser that started a session goes on with it; any other browser needs the resume code
shown at the bottom of the participant's pages.
"""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from studies.enrolment import participant_resume_code
from studies.models import Participant, Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db
VICTIM = "?PROLIFIC_PID=5f0c1e2d3a4b5c6d7e8f9a0b&STUDY_ID=s1&SESSION_ID=x1"


def link(study, query: str = VICTIM) -> str:
    return f"/s/{study.slug}/{query}"


def test_a_victims_prolific_id_in_a_fresh_browser_gets_a_message_and_cannot_answer(live_study):
    victim = Bot(client=Client(), study_slug=live_study.slug, query=VICTIM)
    victim.answer(victim.reach_first_trial(), 0)

    stranger = Client()
    for response in (
        stranger.get(link(live_study)),
        stranger.post(link(live_study), {"consent": "on"}),
        stranger.post(link(live_study), {"resume_code": "AAAA-AAAA"}),
    ):
        assert response.status_code == 403
        page = response.content.decode()
        assert "already started this study in another browser" in page
        assert victim.token not in page and "Location" not in response
    assert "That code is not right" in page
    assert Participant.objects.count() == 1
    assert Response.objects.count() == 1
    assert victim.token not in str(stranger.session.items())

    german = Client(HTTP_ACCEPT_LANGUAGE="de").get(link(live_study)).content.decode()
    assert "Sie haben diese Studie bereits begonnen" in german


def test_the_resume_code_on_the_pages_continues_the_session_in_another_browser(live_study):
    participant_browser = Bot(client=Client(), study_slug=live_study.slug, query=VICTIM)
    page = participant_browser.reach_first_trial()
    code = re.search(r"Your resume code: <strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>", page)[1]
    assert code == participant_resume_code(Participant.objects.get())

    laptop = Client()
    typed = code.lower().replace("-", " ")  # as someone might type it
    moved = laptop.post(link(live_study), {"resume_code": typed})
    assert moved["Location"] == f"/p/{participant_browser.token}/"
    assert laptop.get(link(live_study))["Location"] == moved["Location"], "remembered here now"
    assert "Task 1 of 9" in laptop.get(moved["Location"]).content.decode()
    assert Participant.objects.get().flags == ["resumed in another browser (resume code)"]


def test_guessing_resume_codes_stops_after_ten_wrong_ones(live_study):
    Bot(client=Client(), study_slug=live_study.slug, query=VICTIM).consent()
    code = participant_resume_code(Participant.objects.get())
    for attempt in range(10):
        guess = Client().post(link(live_study), {"resume_code": f"WRONG{attempt:03d}"})
        assert "That code is not right" in guess.content.decode()
    refused = Client().post(link(live_study), {"resume_code": code})
    assert refused.status_code == 403
    assert "Too many wrong codes" in refused.content.decode()


def test_pages_without_a_prolific_id_show_no_resume_code(live_study):
    page = Bot(client=Client(), study_slug=live_study.slug).reach_first_trial()
    assert "resume code" not in page


@pytest.mark.parametrize("length", [65, 70, 500])
def test_a_prolific_id_too_long_to_store_is_refused_clearly_on_every_visit(live_study, length):
    query = f"?PROLIFIC_PID={'p' * length}"
    browser = Client()
    for response in (
        browser.get(link(live_study, query)),
        browser.post(link(live_study, query), {"consent": "on"}),
        browser.get(link(live_study, query)),
        browser.post(link(live_study, query), {"consent": "on"}),
    ):
        assert response.status_code == 400
        assert "This study link is not valid" in response.content.decode()
    assert not Participant.objects.exists()


def test_the_longest_storable_prolific_id_enrols_once_and_resumes(live_study):
    query = f"?PROLIFIC_PID={'p' * 64}&STUDY_ID={'s' * 64}&SESSION_ID={'x' * 64}"
    bot = Bot(client=Client(), study_slug=live_study.slug, query=query)
    bot.open_link(), bot.consent()
    assert bot.open_link()["Location"] == f"/p/{bot.token}/"
    assert bot.client.post(link(live_study, query), {"consent": "on"}).status_code == 302
    assert Participant.objects.get().prolific_pid == "p" * 64


@pytest.mark.django_db(transaction=True)
def test_a_consent_sent_twice_at_once_from_one_browser_lands_in_one_session(live_study):
    first = Client()
    first.get(link(live_study))  # the consent page: the browser now has its session
    second = Client()
    second.cookies = first.cookies  # the same browser, two requests
    replies, start = [], threading.Barrier(2)

    def consent(client: Client) -> None:
        try:
            start.wait(timeout=30)
            replies.append(client.post(link(live_study), {"consent": "on"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=consent, args=(client,)) for client in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    participant = Participant.objects.get()
    assert [reply.status_code for reply in replies] == [302, 302]
    assert {reply["Location"] for reply in replies} == {f"/p/{participant.token}/"}
