"""The same answer sent many times at once (a flaky network, a replaying script) is stored once,
and every reply, refused duplicates included, shows the participant's real next trial."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from studies.models import Assignment, Response
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 12


def send_at_once(token: str, trial: str, copies: int) -> list:
    replies, start = [], threading.Barrier(copies)

    def send(choice: int) -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            replies.append(
                client.post(
                    f"/p/{token}/answer",
                    {"trial": trial, "choice": choice, "rt_ms": 700, "plays": 1},
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n % 3,)) for n in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return replies


def test_every_reply_to_parallel_duplicates_offers_the_real_next_trial():
    study = create_built_study()
    bot = Bot(client=Client(), study_slug=study.slug)
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', bot.reach_first_trial()).group(1)
    for sequence in range(4):
        replies = send_at_once(bot.token, trial, COPIES)
        real_next = str(
            Assignment.objects.get(
                participant__token=bot.token, sequence=sequence + 1
            ).trial.public_id
        )
        assert [reply.status_code for reply in replies] == [200] * COPIES
        offered = [reply.json()["next"]["trial"] for reply in replies]
        assert offered == [real_next] * COPIES, f"trial {sequence}: the answered trial again"
        assert Response.objects.filter(participant__token=bot.token).count() == sequence + 1
        trial = real_next
