"""A real worker builds a period matching study whose distractors come from the committed
chronology checkpoint (the model stage on the gpu queue, the clips on cpu); bots take it."""

import numpy as np
import pytest
from django.test import Client

from modeling.checkpoint_io import file_sha256
from modeling.chronology.generate import ChronologyEmbedder
from modeling.chronology.matching import clip_features, corpus_pool
from studies import generation, services
from studies.models import GenerationJob, Response, Study
from tests.studies.bots import Bot
from tests.workers.conftest import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.once]
CHECKPOINT = ROOT / "modeling/weights/chronology_cpu_demo.pt"


def test_a_worker_builds_a_study_with_distractors_from_the_embedding(start_worker):
    start_worker()
    study = services.study_create(
        name="hard distractors",
        kind="period_matching",
        seed=5,
        design_params={
            "n_trials": 2,
            "n_options": 3,
            "min_gap": 40,
            "distractors": "embedding",
            "pool_works": 10,
            "clip_seconds": 5,
        },
    )
    generation.study_generate(study=study)
    wait_for(
        lambda: Study.objects.get(pk=study.pk).status != Study.Status.GENERATING,
        timeout=400,
        every=0.5,
    )
    job = GenerationJob.objects.get(study=study)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    assert job.attempts == 2, "the model stage and the build, once each"
    prepared = job.prepared
    assert prepared["checkpoint_sha256"] == file_sha256(CHECKPOINT)

    # The pool is drawn with the study's seed: drawn again here, each trial's distractors
    # are, of its works 40+ years from the prompt and in no trial as prompt or answer, the
    # nearest to the prompt in the checkpoint's embedding.
    pool = {work.key: work for work in corpus_pool(size=10, seed=5, window=10)}
    embedder = ChronologyEmbedder.from_checkpoint(CHECKPOINT)
    point = {
        key: embedder.embed_features("music", clip_features(work.notes)[None])[0]
        for key, work in pool.items()
    }
    paired = {key for trial in prepared["trials"] for key in (trial["prompt"], trial["answer"])}
    pieces = {pool[key].work for key in paired}
    for trial in prepared["trials"]:
        prompt = pool[trial["prompt"]]
        far = [
            key
            for key, work in pool.items()
            if abs(work.year - prompt.year) >= 40 and work.work not in pieces
        ]
        distance = {key: float(np.sum((point[key] - point[prompt.key]) ** 2)) for key in far}
        nearest = sorted(far, key=distance.get)
        assert len(far) > 2, "a choice was made"
        assert distance[nearest[1]] < distance[nearest[2]], "no tie at the border"
        assert sorted(trial["distractors"]) == sorted(nearest[:2])

    services.study_publish(study=study)
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study(lambda index, html: bot.correct_choice(html), listen=True)
    answers = Response.objects.filter(participant__token=bot.token)
    assert answers.count() == 2 and all(answer.is_correct for answer in answers)
