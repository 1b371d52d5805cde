"""A real worker builds the three Vis2Mus studies from the committed checkpoint; participants
take them; the export and the report read their answers as the paper's three tests."""

import csv
import io
import json

import pytest
from django.test import Client

from studies import exports, generation, services
from studies.models import GenerationJob, Response, Study
from studies.reports import study_report
from tests.studies.bots import Bot
from tests.workers.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.once]
SMALL = {
    "vis2mus_brightness": {"n_anchors": 1},
    "vis2mus_contrast": {"n_anchors": 1, "strength": 0.8},
    "vis2mus_style": {"n_sets": 1, "style_iterations": 2},
}
EXPECTED = {  # condition, test trials, chance
    "vis2mus_brightness": ("brightness", 2, 1 / 2),
    "vis2mus_contrast": ("contrast", 2, 1 / 2),
    "vis2mus_style": ("style", 4, 1 / 4),
}


def still_generating(studies: list[Study]) -> bool:
    return Study.objects.filter(
        pk__in=[s.pk for s in studies], status=Study.Status.GENERATING
    ).exists()


def test_a_worker_builds_each_vis2mus_kind_and_participants_take_them(start_worker):
    start_worker()  # one worker on both queues: the model stage, then the build
    studies = []
    for kind, params in SMALL.items():
        study = services.study_create(name=kind, kind=kind, seed=2, design_params=params)
        generation.study_generate(study=study)
        studies.append(study)
    wait_for(lambda: not still_generating(studies), timeout=300, every=0.2)

    for study in studies:
        study.refresh_from_db()
        job = GenerationJob.objects.get(study=study)
        assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
        assert job.prepared and job.attempts == 2, "model stage and build, one attempt each"
        services.study_publish(study=study)
        condition, n_trials, chance = EXPECTED[study.kind]

        knows = Bot(client=Client(), study_slug=study.slug)
        knows.take_whole_study(lambda index, html, bot=knows: bot.correct_choice(html), listen=True)
        guesses = Bot(client=Client(), study_slug=study.slug)
        guesses.take_whole_study()
        answers = Response.objects.filter(participant__study=study)
        assert answers.count() == 2 * n_trials
        assert all(r.is_correct for r in answers.filter(participant__token=knows.token))

        rows = list(csv.DictReader(io.StringIO(exports.responses_csv(study))))
        assert len(rows) == 2 * n_trials
        assert {row["condition"] for row in rows} == {condition}
        assert {row["n_options"] for row in rows} == {str(round(1 / chance))}
        report = json.loads(study_report(study=study, fmt="json").body)
        tested = report["conditions"][condition]
        assert tested["n_answers"] == 2 * n_trials
        assert tested["chance"] == pytest.approx(chance)
        expected_accuracy = (n_trials + guesses_right(guesses)) / (2 * n_trials)
        assert tested["accuracy"] == pytest.approx(expected_accuracy)


def guesses_right(bot: Bot) -> int:
    return Response.objects.filter(participant__token=bot.token, is_correct=True).count()
