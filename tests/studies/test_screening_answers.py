"""Odd answers in the headphone and colour checks ask again; they never break the page."""

import pytest
from django.test import Client

from studies import headphones
from studies.models import Participant, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db
JUNK = ["²", "٣", "9" * 5000, "-1", "1.0", " 1 ", "3", "0x1", "\x00", "<b>1</b>", "1" * 70]


@pytest.fixture
def checked_study(live_study) -> Study:
    Study.objects.filter(pk=live_study.pk).update(headphone_check=True, colour_vision_check=True)
    return live_study


def all_sound_answers(value: str) -> dict:
    return {
        f"{test}-{number}": value
        for test in headphones.TESTS
        for number in range(headphones.TRIALS_PER_TEST)
    }


@pytest.mark.parametrize("junk", JUNK)
def test_a_headphone_answer_that_is_not_one_of_the_sounds_counts_as_missing(checked_study, junk):
    bot = Bot(client=Client(), study_slug=checked_study.slug)
    bot.consent_and_answer_questionnaire()
    response = bot.submit("screening", all_sound_answers(junk))
    assert response.status_code == 200
    assert b"Please answer every question." in response.content
    assert bot.stage() == Participant.Stage.SCREENING


@pytest.mark.parametrize("junk", [*JUNK[:3], "abc", "123", "", "   ", "1 2", "½"])
def test_a_plate_answer_that_is_not_a_number_counts_as_missing(checked_study, junk):
    bot = Bot(client=Client(), study_slug=checked_study.slug)
    bot.consent_and_answer_questionnaire()
    bot.pass_headphone_check()
    answers = {"plate-0": "5", "plate-1": "5", "plate-2": junk}
    response = bot.submit("colour_check", answers)
    assert response.status_code == 200
    assert b"Please type a number for every circle." in response.content
    assert bot.stage() == Participant.Stage.COLOUR_CHECK
    assert Participant.objects.get(token=bot.token).screening_scores.get("colour_plates") is None
