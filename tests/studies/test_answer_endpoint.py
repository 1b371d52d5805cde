"""The participant script's answer path: one request records an answer, brings the next trial."""

import re

import pytest
from django.test import Client

from studies.models import Assignment, Participant, Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def post_answer(bot: Bot, trial: str, choice: int):
    return bot.client.post(
        f"/p/{bot.token}/answer",
        {"trial": trial, "choice": choice, "rt_ms": 800, "plays": 1, "heard_to_end": "true"},
    )


def test_each_answer_brings_the_next_trial_until_the_end(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    html = bot.reach_first_trial()
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
    for number in range(2, 10):
        reply = post_answer(bot, trial, 1).json()
        assert reply["next"]["number"] == number
        expected = Assignment.objects.get(participant__token=bot.token, sequence=number - 1)
        assert reply["next"]["trial"] == str(expected.trial.public_id)
        assert len(reply["next"]["options"]) == 3
        assert len(reply["next"]["prefetch"]) == (4 if number < 9 else 0)
        assert all(bot.client.get(o["url"]).status_code == 200 for o in reply["next"]["options"])
        trial = reply["next"]["trial"]
    last = post_answer(bot, trial, 1).json()
    assert last["next"] is None and last["redirect"] == f"/p/{bot.token}/"
    assert Participant.objects.get(token=bot.token).stage == Participant.Stage.DONE
    assert Response.objects.filter(participant__token=bot.token).count() == 9


def test_a_repeated_answer_is_stored_once_and_gets_the_same_reply(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', bot.reach_first_trial()).group(1)
    first = post_answer(bot, trial, 0).json()
    again = post_answer(bot, trial, 2).json()
    assert first["next"]["trial"] == again["next"]["trial"]
    assert Response.objects.get(participant__token=bot.token).position == 0


def test_refusals_say_why(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    bot.reach_first_trial()
    foreign = post_answer(bot, "00000000-0000-4000-8000-000000000000", 0)
    assert foreign.status_code == 403
    assert foreign.json()["error"] == "This trial is not part of your session."
    later = Assignment.objects.get(participant__token=bot.token, sequence=3).trial.public_id
    skipping = post_answer(bot, str(later), 0)
    assert skipping.status_code == 409
    assert "not the current trial" in skipping.json()["error"]
    assert post_answer(bot, str(later), 7).status_code == 400
    assert not Response.objects.exists()


def test_the_reply_shows_the_next_trial_exactly_as_its_page_would(live_study):
    """One trial screen: the script swaps in the same markup a page load renders."""
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', bot.reach_first_trial()).group(1)
    reply = post_answer(bot, trial, 0).json()["next"]
    page = bot.page().content.decode()
    assert reply["html"].strip() in page
    assert reply["html"].count('type="radio" name="choice"') == 3
    assert f'name="trial" value="{reply["trial"]}"' in reply["html"]
    assert "Task 2 of 9" in reply["html"]
    assert [o["url"] for o in reply["options"]] == re.findall(
        r'<img src="(/p/[^"]+)"[^>]* alt="Option', reply["html"]
    )


def test_the_page_prefetches_what_the_reply_then_shows(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    first = bot.reach_first_trial()
    prefetched = re.findall(r'<link rel="prefetch" href="([^"]+)"', first)
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', first).group(1)
    reply = post_answer(bot, trial, 0).json()["next"]
    shown = re.findall(r'src="(/p/[^"]+/m/[^"]+)"', reply["html"])
    assert len(prefetched) == 4 and sorted(prefetched) == sorted(shown)
