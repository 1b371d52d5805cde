"""The questionnaire offers the model's options, and only those are stored."""

import pytest
from django.test import Client

from studies import services
from studies.errors import InvalidInput
from studies.models import Participant
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def test_every_listed_option_can_be_stored_and_nothing_else(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    bot.open_link(), bot.consent()
    refused = bot.submit(
        "demographics", {"gender": "robot", "age_band": "12-17", "musical_level": "amateur"}
    )
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    assert bot.stage() == Participant.Stage.DEMOGRAPHICS

    answers = {"gender": "non_binary", "age_band": "prefer_not_to_say", "musical_level": "expert"}
    with pytest.raises(InvalidInput) as caught:
        services.participant_save_demographics(
            participant=Participant.objects.get(token=bot.token), **answers
        )
    assert caught.value.problems == ["Please choose your musical level."]

    bot.submit("demographics", {**answers, "musical_level": "professional"})
    stored = Participant.objects.get(token=bot.token)
    assert (stored.gender, stored.age_band, stored.musical_level) == (
        "non_binary",
        "prefer_not_to_say",
        "professional",
    )


def test_the_questionnaire_lists_the_models_options_in_the_participants_language(live_study):
    bot = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de"), study_slug=live_study.slug)
    bot.open_link(), bot.consent()
    page = bot.page().content.decode()
    for field, choices in (
        ("gender", Participant.Gender),
        ("age_band", Participant.AgeBand),
        ("musical_level", Participant.MusicalLevel),
    ):
        for value in choices.values:
            assert f'name="{field}" value="{value}"' in page
    assert page.count("Keine Angabe") == 2, "'prefer not to say', for gender and for age"
