"""Garbage in every field of every participant form, and odd addresses: never a server error,
and nothing stored but what a valid request stores.

A few hundred requests from a seeded generator: hostile strings (huge, control characters,
other scripts, formulas, markup), numbers no field takes (NaN, infinities, 2^64, 5,000 digits,
superscripts), impossible dates, repeated fields. After every request the stored rows must still
be valid; a refused request (4xx) must have changed nothing at all.
"""

import math
import random
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studies import headphones
from studies.models import Assignment, Participant, Response, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "7",
    "1.5",
    "NaN",
    "inf",
    "-Infinity",
    "1e308",
    "1e400",
    str(2**64),
    str(-(2**63) - 1),
    "9" * 5000,
    "²",
    "٣",
    "½",
    "0x10",
    "true",
    "false",
    "on",
    "null",
    "None",
    "[]",
    "{}",
    "\x00",
    "\r\n",
    '\t=HYPERLINK("http://x")',
    "@SUM(1)",
    "<script>alert(1)</script>",
    "'; DROP TABLE studies_response; --",
    "../../etc/passwd",
    "🎵" * 300,
    "\u202eevil",
    "x" * 70,
    "y" * 100_000,
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2020-02-30T25:61:61Z",
    "00000000-0000-4000-8000-000000000000",
    "female",
    "65+",
    "professional",
]
TELEMETRY = [
    "rt_ms",
    "audio_rt_ms",
    "plays",
    "heard_to_end",
    "fraction_heard",
    "pauses",
    "hidden_while_playing",
    "client_sent_at",
]
STAGE_FIELDS = {
    "demographics": ["gender", "age_band", "musical_level"],
    "screening": [
        f"{test}-{number}"
        for test in headphones.TESTS
        for number in range(headphones.TRIALS_PER_TEST)
    ],
    "colour_check": ["plate-0", "plate-1", "plate-2"],
    "instructions": [],
    "preview": [],
    "test": ["trial", "choice", *TELEMETRY],
}
REQUESTS_PER_STAGE = 30


def junk(rng: random.Random):
    value = rng.choice(HOSTILE)
    if rng.random() < 0.15:
        return [value, rng.choice(HOSTILE)]  # the field sent twice
    if rng.random() < 0.2:
        return "".join(random_character(rng) for _ in range(rng.randrange(1, 40)))
    return value


def random_character(rng: random.Random) -> str:
    """Any character a browser can send (UTF-8 has no lone surrogates)."""
    code = rng.randrange(1, 0x2FFFF)
    return chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd"


def junk_form(rng: random.Random, fields: list[str], **fixed) -> dict:
    chosen = rng.sample(fields, k=rng.randrange(0, len(fields) + 1)) if fields else []
    extra = rng.sample(["stage", "trial", "choice", "consent", "resume_code", "zzz"], k=2)
    return {**{name: junk(rng) for name in chosen + extra}, **fixed}


def stored() -> tuple:
    participants = Participant.objects.order_by("pk").values_list(
        "pk",
        "token",
        "stage",
        "next_index",
        "trial_count",
        "gender",
        "age_band",
        "musical_level",
        "prolific_pid",
        "prolific_study_id",
        "prolific_session_id",
        "label",
        "flags",
        "screening_scores",
        "released_at",
        "completed_at",
    )
    responses = Response.objects.order_by("pk").values_list(
        "pk",
        "trial_id",
        "position",
        "rt_ms",
        "audio_rt_ms",
        "plays",
        "pauses",
        "fraction_heard",
        "client_sent_at",
    )
    served = Assignment.objects.order_by("pk").values_list("pk", "served_at")
    return list(participants), list(responses), list(served)


def assert_stored_rows_valid() -> None:
    day = timedelta(days=1)
    for participant in Participant.objects.all():
        assert participant.stage in Participant.Stage.values
        assert participant.gender in ("", *Participant.Gender.values)
        assert participant.age_band in ("", *Participant.AgeBand.values)
        assert participant.musical_level in ("", *Participant.MusicalLevel.values)
        for external in (participant.prolific_pid, participant.prolific_session_id):
            assert len(external) <= 64 and external.isprintable()
        assert participant.label.isprintable() and participant.user_agent.isprintable()
        assert 0 <= participant.next_index <= participant.trial_count
        assert all(isinstance(flag, str) for flag in participant.flags)
    for response in Response.objects.select_related("trial"):
        assert 0 <= response.position < response.trial.options.count()
        for reading in (response.rt_ms, response.audio_rt_ms):
            assert reading is None or (math.isfinite(reading) and abs(reading) <= 86_400_000)
        assert response.fraction_heard is None or 0 <= response.fraction_heard <= 1
        assert 0 <= response.plays <= 1000 and 0 <= response.pauses <= 1000
        sent = response.client_sent_at
        assert sent is None or abs(sent - timezone.now()) <= day


class Fuzzer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sent = 0

    def send(self, client: Client, method: str, url: str, data: dict | None = None):
        before = stored()
        response = getattr(client, method)(url, data or {})
        self.sent += 1
        assert response.status_code < 500, (method, url, data)
        if response.status_code >= 400:
            assert stored() == before, f"a refused {method} {url} changed stored rows"
        assert_stored_rows_valid()
        return response


@pytest.fixture
def checked_study(live_study, settings) -> Study:
    settings.SYNLAB_RATE_ENROL = settings.SYNLAB_RATE_ANSWER = ""  # limits: their own tests
    Study.objects.filter(pk=live_study.pk).update(headphone_check=True, colour_vision_check=True)
    live_study.refresh_from_db()
    return live_study


def test_garbage_in_every_participant_form_breaks_nothing(checked_study):
    rng = random.Random(20261203)
    fuzzer = Fuzzer(rng)
    entry = f"/s/{checked_study.slug}/"
    for _ in range(REQUESTS_PER_STAGE):
        query = "?" + "&".join(
            f"{name}={rng.choice(['', 'p1', 'x' * 70, '%00', '=1+1'])}"
            for name in rng.sample(["PROLIFIC_PID", "STUDY_ID", "SESSION_ID", "label"], k=2)
        )
        fuzzer.send(Client(), "post", entry + query, junk_form(rng, ["consent", "resume_code"]))

    lab_link = entry + "?label=%00lab%0A-1%09"
    fuzzer.send(Client(HTTP_USER_AGENT="Bot\x00/1"), "post", lab_link, {"consent": "on"})
    assert Participant.objects.filter(label="lab-1", user_agent="Bot/1").exists()

    bot = Bot(client=Client(), study_slug=checked_study.slug, query="?PROLIFIC_PID=fuzzed")
    bot.open_link(), bot.consent()
    walk = ["demographics", "screening", "colour_check", "instructions", "preview", "test"]
    for stage in walk:
        assert bot.stage() == stage
        for _ in range(REQUESTS_PER_STAGE):
            form = junk_form(rng, STAGE_FIELDS[stage], stage=rng.choice([stage, stage, junk(rng)]))
            fuzzer.send(bot.client, "post", bot.url(), form)
        if stage == "test":
            break
        move_on(bot, stage)

    html = bot.page().content.decode()
    for number in range(REQUESTS_PER_STAGE * 2):
        trial = current_trial(bot) if number % 2 else junk(rng)
        form = junk_form(rng, TELEMETRY, trial=trial, choice=rng.choice(["0", "1", junk(rng)]))
        fuzzer.send(bot.client, "post", f"/p/{bot.token}/answer", form)
    assert "Task" in html
    assert fuzzer.sent == REQUESTS_PER_STAGE * 9 + 1


def move_on(bot: Bot, stage: str) -> None:
    """What a real participant sends to leave `stage`."""
    if stage == "demographics":
        bot.submit(stage, {"gender": "female", "age_band": "18-24", "musical_level": "amateur"})
    elif stage == "screening":
        bot.pass_headphone_check()
    elif stage == "colour_check":
        bot.read_colour_plates()
    else:
        bot.submit(stage)


def current_trial(bot: Bot) -> str:
    participant = Participant.objects.get(token=bot.token)
    assignment = Assignment.objects.filter(participant=participant, sequence=participant.next_index)
    return str(assignment.first().trial.public_id) if assignment.exists() else "none"


def test_odd_addresses_get_a_clear_refusal(checked_study):
    fuzzer = Fuzzer(random.Random(7))
    bot = Bot(client=Client(), study_slug=checked_study.slug)
    html = bot.reach_first_trial()
    token = bot.token
    link = html.split('src="/p/', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1]
    addresses = [
        "/p/x/",
        f"/p/{'x' * 5000}/",
        "/p/%00/",
        "/p/..%2F..%2Fetc%2Fpasswd/",
        f"/p/{token}/m/",
        f"/p/{token}/m/{'A' * 48}",
        f"/p/{token}/m/{link[:-1]}",
        f"/p/{token}/m/{link}A",
        f"/p/{token}/m/{link[:24]}{'_' * 24}",
        f"/p/{token}/m/{'é' * 48}",
        f"/p/{token}/m/{'x' * 100_000}",
        f"/p/not-{token}/m/{link}",
        f"/p/{token}/c/3.png",
        f"/p/{token}/c/{2**64}.png",
        f"/p/{token}/c/{'9' * 5000}.png",
        f"/p/{token}/c/-1.png",
        f"/p/{token}/h/huggins/{2**70}/0.wav",
        f"/p/{token}/h/huggins/0/{2**70}.wav",
        f"/p/{token}/h/nosuch/0/0.wav",
        f"/p/{token}/h/antiphase/0/3.wav",
        "/s/no-such-study/",
        "/s/%00/",
        f"/p/{token}/m/%00{link[3:]}",
        f"/p/{token}/h/%00/0/0.wav",
        f"/s/{'s' * 5000}/",
        f"/p/{token}/answer",
    ]
    for address in addresses:
        response = fuzzer.send(bot.client, "get", address)
        assert response.status_code in (404, 405), address
    for address in addresses[:12]:
        fuzzer.send(bot.client, "post", address, {"choice": "0", "trial": "x"})
