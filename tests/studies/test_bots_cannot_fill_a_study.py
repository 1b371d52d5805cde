"""Bots cannot fill a study: enrolments and answers are limited per client address, and a place
is held only by a session that gets going.
"""

import re
import threading
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from studies import ratelimit
from studies.models import Assignment, Participant, Study
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = pytest.mark.django_db


def test_a_thousand_enrolments_from_one_address_are_stopped_early(live_study, monkeypatch):
    # All within one rate-limit window: a run that crossed a minute's end would rightly let
    # the next minute's 30 through (seen on a slow PostgreSQL run).
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_700_000_010.0))
    Study.objects.filter(pk=live_study.pk).update(raters_per_trial=2000)
    bot, codes = Client(), Counter()
    for _ in range(1000):
        bot.cookies.clear()  # a fresh browser each time
        codes[bot.post(f"/s/{live_study.slug}/", {"consent": "on"}).status_code] += 1
    assert codes == {302: 30, 429: 970}
    assert Participant.objects.count() == 30
    refused = Client(HTTP_ACCEPT_LANGUAGE="de").post(f"/s/{live_study.slug}/", {"consent": "on"})
    assert "Bitte warten Sie einen Moment" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 61
    elsewhere = Client(REMOTE_ADDR="203.0.113.9").post(f"/s/{live_study.slug}/", {"consent": "on"})
    assert elsewhere.status_code == 302, "a participant at another address is not held up"


def test_a_participant_answering_every_second_never_meets_the_limit():
    request = RequestFactory().post("/p/x/answer", REMOTE_ADDR="198.51.100.7")
    start = 1_700_000_000
    waits = [ratelimit.wait_needed(request, "answer", now=start + second) for second in range(3600)]
    assert waits == [None] * 3600
    later = (start // 60 + 100) * 60  # the start of a minute, after the hour above
    burst = [ratelimit.wait_needed(request, "answer", now=later) for _ in range(700)]
    assert burst[:600] == [None] * 600 and burst[600:] == [61] * 100


def test_answers_over_the_limit_are_refused_with_a_translated_reply(live_study, settings):
    settings.SYNLAB_RATE_ANSWER = "5/60"
    bot = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de"), study_slug=live_study.slug)
    html = bot.reach_first_trial()  # three page posts: demographics, instructions, preview
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
    first = bot.client.post(f"/p/{bot.token}/answer", {"trial": trial, "choice": 0})
    again = bot.client.post(f"/p/{bot.token}/answer", {"trial": trial, "choice": 0})
    assert first.status_code == again.status_code == 200
    refused = bot.client.post(f"/p/{bot.token}/answer", {"trial": trial, "choice": 0})
    assert refused.status_code == 429
    assert refused.json()["error"].startswith("Von Ihrem Netz kamen gerade zu viele Anfragen")
    assert "Retry-After" in refused
    assert bot.client.get(bot.url()).status_code == 200, "pages still open"


def test_only_the_configured_proxy_header_tells_the_client_address(live_study, settings):
    settings.SYNLAB_RATE_ENROL = "2/60"

    def enrol(**headers) -> int:
        return Client(**headers).post(f"/s/{live_study.slug}/", {"consent": "on"}).status_code

    spoofed = [enrol(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(3)]
    assert spoofed == [302, 302, 429], "a header the client writes itself is ignored"

    settings.SYNLAB_CLIENT_IP_HEADER = "X-Forwarded-For"
    proxied = [enrol(HTTP_X_FORWARDED_FOR=f"6.6.6.6, 192.0.2.{n}") for n in range(3)]
    assert proxied == [302, 302, 302], "the proxy's own entry (the last) names the client"
    same = [enrol(HTTP_X_FORWARDED_FOR=f"{n}.1.1.1, 192.0.2.200") for n in range(3)]
    assert same == [302, 302, 429], "earlier entries, written by the client, do not count"


def test_one_ipv6_network_counts_as_one_client():
    factory = RequestFactory()
    inside = [factory.post("/", REMOTE_ADDR=f"2001:db8:1:2::{n:x}") for n in range(3)]
    outside = factory.post("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert {ratelimit.client_of(request) for request in inside} == {"2001:db8:1:2::/64"}
    assert ratelimit.client_of(outside) == "2001:db8:1:3::/64"
    mapped = factory.post("/", REMOTE_ADDR="::ffff:192.0.2.4")
    assert ratelimit.client_of(mapped) == "192.0.2.4"


def age(participants, minutes: int) -> None:
    Participant.objects.filter(pk__in=[p.pk for p in participants]).update(
        consented_at=timezone.now() - timedelta(minutes=minutes),
        last_seen_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_sessions_that_never_answer_give_their_places_to_newcomers(settings):
    settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES = 15
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=2, abandon_after_minutes=60)
    squatter = Bot(client=Client(), study_slug=study.slug)
    squatter.consent()
    worker = Bot(client=Client(), study_slug=study.slug)
    worker.answer(worker.reach_first_trial(), 0)
    newcomer = Client(REMOTE_ADDR="203.0.113.20")
    full = newcomer.post(f"/s/{study.slug}/", {"consent": "on"})
    assert b"The study is full at the moment" in full.content
    assert b"try again in 15 minutes" in full.content

    age(Participant.objects.all(), minutes=16)
    assert newcomer.post(f"/s/{study.slug}/", {"consent": "on"}).status_code == 302
    assert Participant.objects.get(token=squatter.token).released_at is not None
    assert Participant.objects.get(token=worker.token).released_at is None
    assert Participant.objects.filter(released_at__isnull=True).count() == 2
    gone = squatter.client.get(squatter.url())
    assert gone.status_code == 410
    assert b"had not given its first answer 15 minutes after it started" in gone.content
    assert worker.client.get(worker.url()).status_code == 200


def test_a_slow_starter_keeps_the_place_while_the_study_has_room(settings):
    settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES = 15
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=3)
    slow = Bot(client=Client(), study_slug=study.slug)
    slow.consent()
    age(Participant.objects.all(), minutes=20)
    Bot(client=Client(), study_slug=study.slug).consent()
    assert Participant.objects.get(token=slow.token).released_at is None
    assert "Task 1 of 9" in slow.reach_first_trial()


@pytest.mark.django_db(transaction=True)
def test_newcomers_arriving_at_once_take_the_places_of_stale_sessions_exactly(settings):
    settings.SYNLAB_RATE_ENROL = ""
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=4, trials_per_participant=3)
    for _ in range(12):  # 9 trials x 4 raters / 3 each: every place taken by a bot
        Client().post(f"/s/{study.slug}/", {"consent": "on"})
    age(Participant.objects.all(), minutes=settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES + 1)
    outcomes: list[str] = []

    def arrive(number: int) -> None:
        try:
            response = Client().post(f"/s/{study.slug}/?PROLIFIC_PID=new-{number}", {"consent": 1})
            full = b"The study is full" in response.content
            outcomes.append("enrolled" if response.status_code == 302 else "full" if full else "?")
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"enrolled": 12, "full": 4}
    holding = Assignment.objects.filter(participant__released_at__isnull=True)
    assert set(Counter(holding.values_list("trial_id", flat=True)).values()) == {4}
