"""A real worker builds a style-grouping study from the offline corpus; bots sort its board."""

import pytest
from django.test import Client

from studies import generation, services
from studies.models import GenerationJob, Response, Study, Trial
from tests.studies.bots import Bot
from tests.workers.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.once]


def test_a_worker_builds_a_grouping_study_and_bots_sort_its_board(start_worker):
    start_worker()
    study = services.study_create(
        name="periods",
        kind="style_grouping",
        seed=5,
        design_params={"n_groups": 3, "items_per_group": 2, "clip_seconds": 4},
    )
    job = generation.study_generate(study=study)
    wait_for(lambda: Study.objects.get(pk=study.pk).status != Study.Status.GENERATING)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    (board,) = Trial.objects.filter(phase__study=study)
    assert board.trial_type == Trial.Type.GROUPING and board.options.count() == 6
    services.study_publish(study=Study.objects.get(pk=study.pk))

    bot = Bot(client=Client(), study_slug=study.slug)

    def sort_by_period(index, html):
        truth = bot.board_truth(html)
        return [sorted(set(truth)).index(label) + 1 for label in truth]

    bot.take_whole_study(sort_by_period, listen=True)
    (answer,) = Response.objects.filter(participant__token=bot.token)
    assert answer.score == 1.0 and answer.is_correct and answer.chosen is None
