"""Participant pages follow the browser's language; German ships complete."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.studies.bots import Bot

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_german_translation():
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', PO_FILE.read_text())
    assert len(entries) > 70
    untranslated = [
        msgid for msgid, msgstr in entries if msgstr.strip() == '""' and msgid.strip() != '""'
    ]
    assert untranslated == []
    assert "#, fuzzy\nmsgid" not in PO_FILE.read_text().split("\n\n", 1)[1]


@pytest.mark.django_db
def test_a_german_browser_gets_the_study_in_german(live_study):
    bot = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"), study_slug=live_study.slug)
    consent = bot.open_link().content.decode()
    assert "Willkommen" in consent and '<html lang="de">' in consent
    bot.consent()
    assert "Über Sie" in bot.page().content.decode()
    bot.submit(
        "demographics", {"gender": "female", "age_band": "18-24", "musical_level": "amateur"}
    )
    bot.submit("instructions"), bot.submit("preview")
    page = bot.page().content.decode()
    assert "Aufgabe 1 von 9" in page
    assert "Welches Bild gehört zum Ausschnitt?" in page


@pytest.mark.django_db
def test_an_english_browser_gets_english(live_study):
    page = Client(HTTP_ACCEPT_LANGUAGE="en-GB").get(f"/s/{live_study.slug}/").content.decode()
    assert "Welcome" in page and '<html lang="en">' in page


@pytest.mark.django_db
def test_a_german_participant_is_told_in_german_why_an_answer_is_refused(live_study):
    bot = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de"), study_slug=live_study.slug)
    bot.reach_first_trial()
    refused = bot.client.post(
        f"/p/{bot.token}/answer",
        {"trial": "00000000-0000-4000-8000-000000000000", "choice": 0},
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "Diese Aufgabe gehört nicht zu Ihrer Sitzung."
