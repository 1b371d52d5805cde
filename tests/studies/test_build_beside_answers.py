"""A study being built never makes a participant of another study wait.

The build decodes, re-encodes and stores every file outside any transaction and writes its
rows in short steps, so on SQLite (where every write locks the whole database) an answer to a
live study is stored at once while a long build runs beside it.
"""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from studies import generation, services
from studies.models import GenerationJob, Response, Study
from tests.factories import upload_zip
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload, create_built_study

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER_WITHIN_S = 1.0


def long_recordings_study() -> Study:
    """Minute-long clips: re-encoding them takes the build several seconds."""
    data = upload_zip(classes=("red", "green", "blue"), test_per_class=3, seconds=60.0)
    return services.study_create(
        name="long recordings", kind="uploaded_set", upload=as_upload(data), seed=1
    )


def build_in_background(study: Study) -> tuple[threading.Thread, GenerationJob]:
    job = generation.study_generate(study=study)

    def run() -> None:
        try:
            generation.generation_job_run(job_id=job.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, job


def test_answers_to_a_live_study_are_stored_at_once_while_another_study_builds():
    live = create_built_study()
    bot = Bot(client=Client(), study_slug=live.slug)
    html = bot.reach_first_trial()
    building = long_recordings_study()

    thread, job = build_in_background(building)
    answered_during_build, waits = 0, []
    while thread.is_alive() and bot.stage() == "test":
        started = time.monotonic()
        bot.answer(html, 0)
        waits.append(time.monotonic() - started)
        if GenerationJob.objects.filter(pk=job.pk, status="running").exists():
            answered_during_build += 1
        html = bot.page().content.decode()
        time.sleep(0.2)
    thread.join(timeout=300)

    print(f"\nanswer waits during the build: {', '.join(f'{w:.3f}' for w in waits)} s")
    assert max(waits) < ANSWER_WITHIN_S
    assert answered_during_build >= 3, "the build was still running while these were answered"
    assert Response.objects.filter(participant__token=bot.token).count() == len(waits)
    building.refresh_from_db()
    assert building.status == Study.Status.READY, building.build_problems
