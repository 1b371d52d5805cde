"""Participants pass a Huggins-pitch and an anti-phase test before a headphone study."""

import io

import numpy as np
import pytest
import soundfile
from django.test import Client

from studies import headphones
from studies.models import Participant, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def headphone_study(live_study) -> Study:
    Study.objects.filter(pk=live_study.pk).update(
        headphone_check=True, raters_per_trial=1, screened_out_url="https://example.org/screened"
    )
    live_study.refresh_from_db()
    return live_study


def band_energy(signal: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(signal)) ** 2
    freqs = np.fft.rfftfreq(len(signal), 1 / headphones.SAMPLE_RATE)
    return float(spectrum[(freqs >= low) & (freqs <= high)].sum())


def test_the_huggins_tone_lives_only_in_the_interaural_difference_around_600_hz():
    rng = np.random.default_rng(1)
    plain = headphones.huggins_interval(with_pitch=False, rng=rng)
    pitched = headphones.huggins_interval(with_pitch=True, rng=rng)
    assert np.allclose(plain[:, 0], plain[:, 1])
    difference = pitched[:, 0] - pitched[:, 1]
    inside = band_energy(difference, 564, 636)
    assert inside / band_energy(difference, 0, 22050) > 0.99
    # Each ear alone is still plain white noise: no tone to hear over loudspeakers.
    left, right = band_energy(pitched[:, 0], 564, 636), band_energy(pitched[:, 1], 564, 636)
    assert left == pytest.approx(right, rel=0.01)


def test_antiphase_intervals_are_inverted_and_the_quiet_one_is_6_db_down():
    quiet = headphones.antiphase_interval(kind="quiet")
    normal = headphones.antiphase_interval(kind="normal")
    anti = headphones.antiphase_interval(kind="antiphase")
    assert np.allclose(anti[:, 0], -anti[:, 1])
    level = 20 * np.log10(np.sqrt(np.mean(quiet**2)) / np.sqrt(np.mean(normal**2)))
    assert level == pytest.approx(-6.0, abs=0.01)


def test_each_question_has_one_answer_the_browser_cannot_see(headphone_study):
    bot = Bot(client=Client(), study_slug=headphone_study.slug)
    bot.consent_and_answer_questionnaire()
    page = bot.page().content.decode()
    assert "Headphone check" in page
    urls = [u for u in page.split('data-src="')[1:]]
    assert len(urls) == 1 + 2 * 6 * 3
    first = bot.client.get(urls[1].split('"')[0])
    samples, rate = soundfile.read(io.BytesIO(first.content))
    assert rate == headphones.SAMPLE_RATE and samples.shape[1] == 2


def test_passing_both_tests_leads_on_to_the_instructions(headphone_study):
    bot = Bot(client=Client(), study_slug=headphone_study.slug)
    bot.take_whole_study()
    participant = Participant.objects.get(token=bot.token)
    assert participant.screening_scores == {"huggins": 6, "antiphase": 6}
    assert participant.stage == Participant.Stage.DONE
    assert "screening" in bot.pages


def test_failing_ends_politely_and_frees_the_trials_for_someone_else(headphone_study):
    bot = Bot(client=Client(), study_slug=headphone_study.slug)
    bot.consent_and_answer_questionnaire(gender="male", age_band="18-24")
    bot.pass_headphone_check(correct=False)
    participant = Participant.objects.get(token=bot.token)
    assert participant.stage == Participant.Stage.SCREENED_OUT
    assert participant.screening_scores == {"huggins": 0, "antiphase": 0}
    page = bot.page().content.decode()
    assert "not a judgement of your hearing" in page
    assert "https://example.org/screened" in page
    assert bot.submit("instructions").status_code == 302
    assert Participant.objects.get(token=bot.token).stage == Participant.Stage.SCREENED_OUT
    newcomer = Bot(client=Client(), study_slug=headphone_study.slug)
    newcomer.take_whole_study()  # quota is 1 rater per trial: the screened-out slots came back
    assert Participant.objects.get(token=newcomer.token).stage == Participant.Stage.DONE


def test_an_incomplete_check_asks_for_every_answer(headphone_study):
    bot = Bot(client=Client(), study_slug=headphone_study.slug)
    bot.consent_and_answer_questionnaire(gender="male", age_band="18-24")
    response = bot.submit("screening", {"huggins-0": 1})
    assert b"Please answer every question" in response.content
    assert bot.stage() == Participant.Stage.SCREENING
