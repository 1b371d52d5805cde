"""What a participant's browser sends with an answer is bounded before it is stored.

The trial and the chosen option must be right, or the answer is refused with a clear reply.
The readings that come with it (times, counts, the browser's clock) are stored only when they
can be true; otherwise they are left empty and the participant is flagged, and the answer still
counts: a wrong clock on a participant's computer must not lock them out of the study.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from studies.models import Participant, Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db

HOSTILE_READINGS = [
    {"client_sent_at": "9999-12-31T23:59:59-14:00"},  # year 10000 in UTC
    {"client_sent_at": "0001-01-01T00:00:00+14:00"},  # year 0 in UTC
    {"client_sent_at": "2020-01-01T00:00:00Z", "rt_ms": "NaN"},
    {"rt_ms": "inf", "audio_rt_ms": "-Infinity", "fraction_heard": "nan"},
    {"rt_ms": "1e400", "audio_rt_ms": "9" * 5000, "fraction_heard": "1.5"},
    {"plays": "99999999999999999999", "pauses": "-3", "client_sent_at": "x" * 10_000},
    {"plays": "²", "pauses": "2.5", "rt_ms": "8" * 400, "client_sent_at": "31/12/9999"},
    {"audio_rt_ms": "1e308", "client_sent_at": "+275760-09-13T00:00:00.000Z"},
]


def trial_of(html: str) -> str:
    return re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)


def answer(bot: Bot, trial: str, choice="0", **readings):
    return bot.client.post(f"/p/{bot.token}/answer", {"trial": trial, "choice": choice, **readings})


def test_impossible_readings_are_left_empty_and_noted_and_the_answer_counts(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = trial_of(bot.reach_first_trial())
    for readings in HOSTILE_READINGS:
        reply = answer(bot, trial, **readings)
        assert reply.status_code == 200, (readings, reply.content[:300])
        trial = reply.json()["next"]["trial"]
    stored = list(Response.objects.filter(participant__token=bot.token).order_by("sequence"))
    assert len(stored) == len(HOSTILE_READINGS)
    for response in stored:
        assert response.client_sent_at is None
        assert response.rt_ms is None and response.audio_rt_ms is None
        assert response.fraction_heard is None
        assert 0 <= response.plays <= 1000 and 0 <= response.pauses <= 1000
    flags = Participant.objects.get(token=bot.token).flags
    for name in ("client_sent_at", "rt_ms", "audio_rt_ms", "fraction_heard", "plays", "pauses"):
        assert f"sent an implausible {name} (not stored)" in flags
    assert len(flags) == 6, "each kind of reading is noted once"


def test_plausible_readings_are_stored_as_sent(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = trial_of(bot.reach_first_trial())
    clock = datetime.now(UTC) - timedelta(hours=20)  # a participant whose clock is off a bit
    reply = answer(
        bot,
        trial,
        rt_ms="812.5",
        audio_rt_ms="-40",
        plays="2",
        pauses="1",
        fraction_heard="1",
        client_sent_at=clock.isoformat().replace("+00:00", "Z"),
    )
    assert reply.status_code == 200
    stored = Response.objects.get(participant__token=bot.token)
    assert (stored.rt_ms, stored.audio_rt_ms, stored.plays, stored.pauses) == (812.5, -40, 2, 1)
    assert stored.fraction_heard == 1 and stored.client_sent_at == clock
    assert Participant.objects.get(token=bot.token).flags == []


@pytest.mark.parametrize(
    "choice, trial, message",
    [
        ("7", None, "Please choose one of the options."),
        ("²", None, "Please choose one of the options."),
        ("9" * 5000, None, "Please choose one of the options."),
        ("-1", None, "Please choose one of the options."),
        ("", None, "Please choose one of the options."),
        ("0", "x" * 10_000, "This answer could not be read. Please reload the page"),
        ("0", "", "This answer could not be read. Please reload the page"),
    ],
)
def test_an_answer_that_names_no_real_option_is_refused_clearly(live_study, choice, trial, message):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    html = bot.reach_first_trial()
    reply = answer(bot, trial_of(html) if trial is None else trial, choice=choice)
    assert reply.status_code == 400
    assert reply.json()["error"].startswith(message)
    page = bot.submit(
        "test", {"trial": trial_of(html) if trial is None else trial, "choice": choice}
    )
    assert page.status_code == 302
    assert message in bot.client.get(page["Location"]).content.decode()
    assert not Response.objects.exists()


def test_after_hostile_answers_every_export_and_report_still_downloads(
    live_study, researcher, client
):
    for readings in HOSTILE_READINGS[:3]:
        bot = Bot(client=Client(), study_slug=live_study.slug)
        trial = trial_of(bot.reach_first_trial())
        while trial:
            reply = answer(bot, trial, **readings).json()
            trial = reply["next"]["trial"] if reply["next"] else None
    client.force_login(researcher)
    download = client.get(f"/researcher/studies/{live_study.pk}/responses.json")
    exported = json.loads(download.content)["responses"]
    assert len(exported) == 27 and {row["client_sent_at"] for row in exported} == {""}
    for path in ("responses.csv", "report.html", "report.json", "report.csv", "report.pdf"):
        download = client.get(f"/researcher/studies/{live_study.pk}/{path}")
        assert download.status_code == 200, path
    for page in ("/admin/studies/response/", "/admin/studies/participant/"):
        assert client.get(page).status_code == 200, page
