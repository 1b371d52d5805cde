"""A real worker builds the three affect studies from the generated affect set and the committed
ACP-Net and retrieval checkpoints; a participant who knows takes each; the report reads them."""

import json

import pytest
from django.test import Client

from studies import generation, services
from studies.models import GenerationJob, Response, Study
from studies.reports import study_report
from tests.studies.bots import Bot
from tests.workers.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.once]
SMALL = {  # kind -> (parameters, condition, test trials, stages)
    "affect_matching": ({"n_pairs": 2, "items_per_class": 2}, "fit (yes/no)", 4, 2),
    "emotion_matching": ({"n_test_trials": 3, "items_per_class": 2}, "emotion (1 of 3)", 3, 1),
    "retrieval_check": (
        {"n_test_trials": 3, "items_per_class": 2},
        "agreement with the retrieval model",
        3,
        2,
    ),
}


def test_a_worker_builds_each_affect_kind_and_a_participant_takes_it(start_worker):
    start_worker()  # one worker on both queues: the model stage (if any), then the build
    studies = []
    for kind, (params, *_) in SMALL.items():
        study = services.study_create(name=kind, kind=kind, seed=4, design_params=params)
        generation.study_generate(study=study)
        studies.append(study)
    ids = [study.pk for study in studies]
    wait_for(
        lambda: not Study.objects.filter(pk__in=ids, status=Study.Status.GENERATING).exists(),
        timeout=300,
        every=0.2,
    )
    for study in studies:
        study.refresh_from_db()
        _, condition, n_trials, stages = SMALL[study.kind]
        job = GenerationJob.objects.get(study=study)
        assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
        assert job.attempts == stages, "a model stage only for the kinds with a model"
        services.study_publish(study=study)
        knows = Bot(client=Client(), study_slug=study.slug)
        knows.take_whole_study(lambda index, html, bot=knows: bot.correct_choice(html))
        answers = Response.objects.filter(participant__study=study)
        assert answers.count() == n_trials and all(answer.is_correct for answer in answers)
        report = json.loads(study_report(study=study, fmt="json").body)
        assert report["conditions"][condition]["accuracy"] == 1.0
    yes_no = json.loads(study_report(study=studies[0], fmt="json").body)
    (summary,) = yes_no["tables"]["signal_detection"]
    assert (summary["hits"], summary["false_alarms"]) == (2, 0)
