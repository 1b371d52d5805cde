"""The welcome page asks for consent, the questionnaire and (when nothing is screened first)
reads out the instructions, in one request: a participant arrives at the examples after two
requests, and nothing is stored until every answer is there."""

import re

import pytest
from django.test import Client

from studies.models import Participant, Study

pytestmark = pytest.mark.django_db

ABOUT = {"gender": "female", "age_band": "25-34", "musical_level": "amateur"}


def welcome_form(client: Client, study: Study) -> str:
    page = client.get(f"/s/{study.slug}/")
    assert page.status_code == 200
    return page.content.decode()


def send_welcome(client: Client, study: Study, **fields):
    return client.post(f"/s/{study.slug}/", {"welcome": "1", **fields})


def test_one_request_takes_a_participant_from_the_link_to_the_examples(live_study):
    client = Client()
    html = welcome_form(client, live_study)
    assert 'name="consent"' in html and 'name="gender"' in html
    assert "Instructions" in html and 'name="instructions_read" value="1"' in html

    sent = send_welcome(client, live_study, consent="on", instructions_read="1", **ABOUT)
    assert sent.status_code == 302
    participant = Participant.objects.get(study=live_study)
    assert (participant.gender, participant.age_band, participant.musical_level) == (
        "female",
        "25-34",
        "amateur",
    )
    assert participant.stage == Participant.Stage.PREVIEW
    assert "Examples" in client.get(sent["Location"]).content.decode()


def test_a_missing_answer_is_asked_again_and_nothing_is_stored(live_study):
    client = Client()
    answers = {**ABOUT}
    del answers["age_band"]
    again = send_welcome(client, live_study, consent="on", instructions_read="1", **answers)
    assert again.status_code == 200
    html = again.content.decode()
    assert re.search(r'<p class="error" id="age_band-error">', html)
    assert re.search(r'<input type="radio" name="gender" value="female"[^>]* checked>', html), (
        "what was answered stays answered"
    )
    assert not Participant.objects.filter(study=live_study).exists()

    no_consent = send_welcome(Client(), live_study, instructions_read="1", **ABOUT)
    assert no_consent.status_code == 200
    assert 'id="consent-error"' in no_consent.content.decode()
    assert not Participant.objects.filter(study=live_study).exists()


def test_with_a_headphone_check_the_instructions_come_after_it(live_study):
    Study.objects.filter(pk=live_study.pk).update(headphone_check=True)
    client = Client()
    html = welcome_form(client, live_study)
    assert 'name="instructions_read"' not in html
    sent = send_welcome(client, live_study, consent="on", instructions_read="1", **ABOUT)
    assert sent.status_code == 302
    assert Participant.objects.get(study=live_study).stage == Participant.Stage.SCREENING


def test_a_consent_alone_still_leads_to_the_questionnaire_page(live_study):
    """Links opened by an older page (or a script that only consents) go the long way."""
    client = Client()
    sent = client.post(f"/s/{live_study.slug}/", {"consent": "on"})
    assert sent.status_code == 302
    assert Participant.objects.get(study=live_study).stage == Participant.Stage.DEMOGRAPHICS


def test_sending_the_welcome_page_twice_enrols_once(live_study):
    client = Client()
    fields = {"consent": "on", "instructions_read": "1", **ABOUT}
    first = send_welcome(client, live_study, **fields)
    second = send_welcome(client, live_study, **fields)
    assert first["Location"] == second["Location"]
    assert Participant.objects.filter(study=live_study).count() == 1
