"""An optional colour-vision check with plates made in-house; the answers stay on the server."""

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from studies import colour_vision
from studies.models import Participant, Study
from studies.services import screening_secret
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def colour_study(live_study) -> Study:
    Study.objects.filter(pk=live_study.pk).update(colour_vision_check=True, raters_per_trial=1)
    live_study.refresh_from_db()
    return live_study


def test_the_digit_differs_from_the_background_in_hue_not_lightness():
    import io

    plate = Image.open(io.BytesIO(colour_vision.plate_png(digit=8, seed="s"))).convert("RGB")
    pixels = [tuple(int(v) for v in row) for row in np.asarray(plate).reshape(-1, 3)]
    figure = [c for c in pixels if c in colour_vision.FIGURE]
    ground = [c for c in pixels if c in colour_vision.GROUND]
    assert len(figure) > 1000 and len(ground) > 10 * len(figure) / 2

    def lightness(colour):
        r, g, b = colour
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    mean_figure = sum(map(lightness, figure)) / len(figure)
    mean_ground = sum(map(lightness, ground)) / len(ground)
    assert abs(mean_figure - mean_ground) < 12


def test_reading_every_plate_leads_on_and_the_page_never_shows_the_digits(colour_study):
    bot = Bot(client=Client(), study_slug=colour_study.slug)
    bot.consent_and_answer_questionnaire()
    page = bot.page().content.decode()
    assert "Colour check" in page
    digits = colour_vision.plate_digits(
        secret=screening_secret(Participant.objects.get(token=bot.token))
    )
    plate = bot.client.get(f"/p/{bot.token}/c/0.png")
    assert plate.status_code == 200 and plate.content.startswith(b"\x89PNG")
    assert f'value="{digits[0]}"' not in page
    bot.read_colour_plates()
    participant = Participant.objects.get(token=bot.token)
    assert participant.stage == Participant.Stage.INSTRUCTIONS
    assert participant.screening_scores["colour_plates"] == 3


def test_misreading_a_plate_ends_politely_with_the_colour_message(colour_study):
    bot = Bot(client=Client(), study_slug=colour_study.slug)
    bot.consent_and_answer_questionnaire(gender="male", age_band="25-34")
    bot.read_colour_plates(correct=False)
    participant = Participant.objects.get(token=bot.token)
    assert participant.stage == Participant.Stage.SCREENED_OUT
    assert participant.released_at is not None
    assert "This is not a medical test" in bot.page().content.decode()


def test_an_empty_answer_asks_again(colour_study):
    bot = Bot(client=Client(), study_slug=colour_study.slug)
    bot.consent_and_answer_questionnaire(gender="male", age_band="25-34")
    response = bot.submit("colour_check", {"plate-0": "3"})
    assert b"Please type a number for every circle" in response.content
    assert bot.stage() == Participant.Stage.COLOUR_CHECK
