"""What one answer costs the database: the script's answer request, counted in SQL statements.

Before issue 16 an answer took 8 statements warm (participant by token, assignment, BEGIN,
UPDATE participant, INSERT answer, COMMIT, next assignments, UPDATE served_at). Now the
participant is found, advanced, the answer stored and the next trial marked served in one
statement on PostgreSQL (one CTE) and in one short transaction on SQLite. These tests fail if
the count grows back.
"""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from studies import selectors
from studies.models import Assignment, Participant, Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db

# Statements per warm answer: PostgreSQL one CTE; SQLite BEGIN IMMEDIATE, the advancing UPDATE,
# the INSERT and the UPDATE that marks the next trial served and returns it (COMMIT is not a
# statement Django logs).
STATEMENT_BUDGET = {"postgresql": 1, "sqlite": 4}


def first_trial(bot: Bot) -> str:
    return re.search(r'name="trial" value="([0-9a-f-]+)"', bot.reach_first_trial()).group(1)


def send_as_script(bot: Bot, trial: str, choice: int) -> dict:
    """What static/synlab/trial.js sends: a JSON body with the CSRF token in a header."""
    body = {"trial": trial, "choice": str(choice), "rt_ms": "900", "plays": "1"}
    reply = bot.client.post(
        f"/p/{bot.token}/answer", json.dumps(body), content_type="application/json"
    )
    assert reply.status_code == 200, reply.content[:300]
    return reply.json()


def answer_counting_statements(bot: Bot, trial: str, choice: int) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        reply = send_as_script(bot, trial, choice)
    return reply, [query["sql"] for query in captured.captured_queries]


def test_a_warm_answer_stays_within_its_statement_budget(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    trial = send_as_script(bot, trial, 0)["next"]["trial"]  # the worker's caches are warm now
    budget = STATEMENT_BUDGET[connection.vendor]
    for _ in range(3):
        reply, statements = answer_counting_statements(bot, trial, 1)
        assert len(statements) <= budget, "\n".join(statements)
        trial = reply["next"]["trial"]
    assert Response.objects.filter(participant__token=bot.token).count() == 4


def test_a_cold_worker_pays_for_the_study_once(live_study):
    """A fresh process loads the study's trial facts in a few queries, not a few per trial."""
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    selectors.trial_facts_forget()
    _, cold = answer_counting_statements(bot, trial, 0)
    assert len(cold) <= STATEMENT_BUDGET[connection.vendor] + 5, "\n".join(cold)


def test_the_fast_path_keeps_every_rule_of_the_answer(live_study):
    """The one-statement path stores what the slow path stored and serves the next trial."""
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    reply = send_as_script(bot, trial, 2)
    participant = Participant.objects.get(token=bot.token)
    answer = Response.objects.get(participant=participant)
    first = Assignment.objects.get(participant=participant, sequence=0)
    following = Assignment.objects.get(participant=participant, sequence=1)
    assert answer.trial_id == first.trial_id and answer.sequence == 0 and answer.position == 2
    assert answer.chosen_id == first.option_order[2]
    assert answer.is_correct == first.trial.options.get(pk=answer.chosen_id).is_correct
    assert (answer.rt_ms, answer.plays) == (900.0, 1)
    assert participant.next_index == 1 and participant.stage == Participant.Stage.TEST
    assert following.served_at is not None
    assert reply["next"]["trial"] == str(following.trial.public_id)
    assert reply["progress_percent"] > 0


def test_an_answer_sooner_than_the_clips_last_is_marked_too_fast(live_study):
    """The statement works out 'too fast' itself: from when the trial was served."""
    from datetime import timedelta

    from django.utils import timezone

    from studies.models import Study

    Study.objects.filter(pk=live_study.pk).update(require_full_listen=True)
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    hasty = send_as_script(bot, trial, 0)["next"]["trial"]
    Assignment.objects.filter(participant__token=bot.token, sequence=1).update(
        served_at=timezone.now() - timedelta(minutes=5)
    )
    send_as_script(bot, hasty, 0)
    answers = Response.objects.filter(participant__token=bot.token).order_by("sequence")
    assert [answer.too_fast for answer in answers] == [True, False]
