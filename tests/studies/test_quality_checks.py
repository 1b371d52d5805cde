"""Catch trials, answers faster than the clip, and resumed sessions are flagged, never lost."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studies import generation, services
from studies.answer_table import response_table_for_study
from studies.models import Assignment, Participant, Response, Study
from tests.factories import upload_zip
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db
CATCH_ROW = "images/red_test_0.png,audio/red_test_0.wav,red,catch,\n"


def study_with_catch_trial(**changes) -> Study:
    study = services.study_create(
        name="with catch",
        kind="uploaded_set",
        design_params={"n_options": 3},
        seed=1,
        upload=as_upload(upload_zip(extra_rows=CATCH_ROW)),
    )
    generation.generation_job_run(job_id=generation.study_generate(study=study).pk)
    Study.objects.filter(pk=study.pk).update(**changes)
    return services.study_publish(study=Study.objects.get(pk=study.pk))


def test_every_participant_gets_the_catch_trial_and_it_is_exported_as_such():
    study = study_with_catch_trial(raters_per_trial=2, trials_per_participant=3)
    bots = [Bot(client=Client(), study_slug=study.slug) for _ in range(6)]
    for bot in bots:
        # The catch trial's correct image is its own; choose a wrong one on purpose.
        bot.take_whole_study(choose=lambda index, html: 1)
    for participant in Participant.objects.all():
        trials = participant.assignments.select_related("trial")
        assert sum(a.trial.is_catch for a in trials) == 1
        assert trials.get(trial__is_catch=True).sequence > 0, "never the very first trial"
        assert participant.trial_count == 4
    rows = response_table_for_study(study)
    catch_rows = [row for row in rows if row["is_catch"]]
    assert len(catch_rows) == 6
    assert all(row["condition"] == "catch" for row in catch_rows)
    for row in rows:
        expected = sum(
            1 for r in catch_rows if r["participant"] == row["participant"] and not r["is_correct"]
        )
        assert row["failed_catch"] == expected
    study.refresh_from_db()
    assert study.status == Study.Status.CLOSED, "quotas count regular trials only"


def test_an_answer_faster_than_the_clip_is_flagged_and_still_stored(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    html = bot.reach_first_trial()
    bot.answer(html, 0)  # at once, though the clip lasts 0.4 s
    first = Response.objects.get(participant__token=bot.token)
    assert first.too_fast

    html = bot.page().content.decode()
    Assignment.objects.filter(participant__token=bot.token, sequence=1).update(
        served_at=timezone.now() - timedelta(seconds=2)
    )
    bot.answer(html, 0)
    second = Response.objects.get(participant__token=bot.token, sequence=1)
    assert not second.too_fast
    assert [row["too_fast"] for row in response_table_for_study(live_study)] == [True, False]


def test_a_prolific_id_resumed_in_another_browser_is_flagged(live_study):
    from studies.enrolment import participant_resume_code

    link = f"/s/{live_study.slug}/?PROLIFIC_PID=traveller&STUDY_ID=s&SESSION_ID=1"
    Client(HTTP_USER_AGENT="Firefox/140").post(link, {"consent": "on"})
    participant = Participant.objects.get(prolific_pid="traveller")
    code = participant_resume_code(participant)
    resumed = Client(HTTP_USER_AGENT="Chrome/156").post(link, {"resume_code": code})
    assert resumed["Location"] == f"/p/{participant.token}/"
    participant.refresh_from_db()
    assert participant.flags == ["resumed in another browser (resume code)"]


def test_playback_telemetry_is_stored_and_exported_with_each_answer(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    html = bot.reach_first_trial()
    bot.answer(
        html,
        1,
        rt_ms=1450,
        audio_rt_ms=1432,
        plays=2,
        fraction_heard=1,
        pauses=1,
        hidden_while_playing="true",
    )
    html = bot.page().content.decode()
    bot.answer(html, 0, rt_ms=-3, audio_rt_ms=-12, plays=1)  # clocks a bot could send

    first, second = response_table_for_study(live_study)
    assert (first["rt_ms"], first["audio_rt_ms"], first["plays"]) == (1450, 1432, 2)
    assert (first["fraction_heard"], first["pauses"], first["hidden_while_playing"]) == (1, 1, True)
    assert second["position"] == 0, "an odd clock reading never costs the answer"
    assert second["rt_ms"] is None, "a negative page-clock time is unknown"
    assert second["audio_rt_ms"] == -12, "kept: the answer came before the clip's end was heard"
