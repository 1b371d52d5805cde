"""A database or cache restart mid-study: the participant is told to wait, nothing is lost, and
sending the same answer again stores it once."""

import json
import re

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from studies import answering
from studies.models import Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def send_answer_as_the_script_does(bot: Bot, trial: str, choice: int = 0):
    fields = {"trial": trial, "choice": choice, "rt_ms": 800, "plays": 1, "heard_to_end": "true"}
    return bot.client.post(
        f"/p/{bot.token}/answer", json.dumps(fields), content_type="application/json"
    )


def first_trial(bot: Bot) -> str:
    html = bot.reach_first_trial()
    return re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)


def database_gone(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_an_answer_sent_while_the_database_restarts_is_asked_again_and_then_stored_once(
    live_study, monkeypatch
):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    with monkeypatch.context() as patched:
        patched.setattr(answering, "answer_record_at_once", database_gone)
        refused = send_answer_as_the_script_does(bot, trial)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert refused.json()["retry_after_s"] == 5
    assert "Nothing is lost" in refused.json()["error"]
    assert not Response.objects.filter(participant__token=bot.token).exists()

    stored = send_answer_as_the_script_does(bot, trial)
    again = send_answer_as_the_script_does(bot, trial)
    assert stored.status_code == again.status_code == 200
    assert stored.json()["next"]["trial"] == again.json()["next"]["trial"]
    assert Response.objects.filter(participant__token=bot.token).count() == 1


def test_a_page_opened_while_the_database_restarts_says_so_and_reloads_itself(
    live_study, monkeypatch
):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    first_trial(bot)
    with monkeypatch.context() as patched:
        patched.setattr("studies.views.participant_or_404", database_gone)
        page = bot.client.get(bot.url())
    assert page.status_code == 503
    html = page.content.decode()
    assert "Back in a moment" in html
    assert f'content="5;url={bot.url()}"' in html
    assert bot.client.get(bot.url()).status_code == 200


def test_a_form_answer_during_a_restart_offers_the_way_back_to_the_study(live_study, monkeypatch):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    html = bot.reach_first_trial()
    with monkeypatch.context() as patched:
        patched.setattr("studies.views.participant_or_404", database_gone)
        page = bot.answer(html, 0)
    assert page.status_code == 503
    assert f'href="{bot.url()}"' in page.content.decode()
    assert "http-equiv" not in page.content.decode(), "a POST is never repeated by a reload"


class UnreachableCache:
    def add(self, *args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    incr = set = get = add


def test_answers_go_through_while_the_rate_limit_cache_restarts(live_study, monkeypatch, settings):
    settings.SYNLAB_RATE_ANSWER = "1000/60"
    bot = Bot(client=Client(), study_slug=live_study.slug)
    trial = first_trial(bot)
    monkeypatch.setattr("studies.ratelimit.cache", UnreachableCache())
    assert send_answer_as_the_script_does(bot, trial).status_code == 200
    assert Response.objects.filter(participant__token=bot.token).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_connection_killed_mid_study_loses_nothing(live_study_transactional):
    """The server ends the web process's connection (a restart or failover does this): the
    answer sent then is refused with 503; the next request opens a new connection (in
    production Django closes the broken one when the next request starts) and stores it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    bot = Bot(client=Client(), study_slug=live_study_transactional.slug)
    trial = first_trial(bot)
    killer = connection.copy()
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    killer.close()
    refused = send_answer_as_the_script_does(bot, trial)
    assert refused.status_code == 503
    close_old_connections()  # what Django does as the next request starts
    assert send_answer_as_the_script_does(bot, trial).status_code == 200
    assert Response.objects.filter(participant__token=bot.token).count() == 1


@pytest.fixture
def live_study_transactional(transactional_db):
    from tests.studies.conftest import create_built_study

    return create_built_study()
