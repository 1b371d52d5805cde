"""A real worker process builds studies from uploads: normally, and after being killed mid-job."""

import time
from pathlib import Path

import pytest
from django.test import Client

from studies import generation, services
from studies.models import GenerationJob, Phase, Response, Stimulus, Study, Trial
from tests.factories import silent_wav, upload_zip
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload
from tests.workers.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def status_of(study: Study) -> str:
    study.refresh_from_db()
    return study.status


def test_a_worker_builds_an_uploaded_study_and_it_becomes_playable(start_worker):
    start_worker()
    study = services.study_create(
        name="worker-built",
        kind="uploaded_set",
        design_params={"n_options": 3},
        upload=as_upload(upload_zip()),
    )
    job = generation.study_generate(study=study)  # queued on commit, picked up by the worker
    wait_for(lambda: status_of(study) != Study.Status.GENERATING)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    assert job.attempts == 1
    assert status_of(study) == Study.Status.READY
    services.study_publish(study=study)

    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study()
    assert Response.objects.filter(participant__token=bot.token).count() == 9


def test_a_worker_reports_a_corrupt_upload_back_to_the_researcher(start_worker):
    start_worker()
    data = upload_zip(replace_files={"audio/red_test_1.wav": silent_wav()})
    study = services.study_create(name="corrupt", kind="uploaded_set", upload=as_upload(data))
    job = generation.study_generate(study=study)
    wait_for(lambda: status_of(study) != Study.Status.GENERATING)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert status_of(study) == Study.Status.DRAFT
    assert "audio/red_test_1.wav: the clip is silent" in study.build_problems[0]
    assert not Stimulus.objects.filter(study=study).exists()


def test_a_worker_killed_mid_job_leaves_nothing_half_built_and_the_next_worker_finishes(
    start_worker,
):
    # A set big enough that the build takes a moment, so the kill lands in the middle of it.
    data = upload_zip(classes=("red", "green", "blue", "gold"), test_per_class=120, seconds=1.0)
    study = services.study_create(name="killed", kind="uploaded_set", upload=as_upload(data))
    first = start_worker()
    job = generation.study_generate(study=study)
    wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="running").exists(), every=0.01)
    first.kill()

    assert status_of(study) == Study.Status.GENERATING
    assert not Phase.objects.filter(study=study).exists()
    assert not Stimulus.objects.filter(study=study).exists()
    with pytest.raises(services.Conflict):
        services.study_publish(study=study)

    wait_for(lambda: GenerationJob.objects.filter(pk=job.pk, status="running").exists())
    time.sleep(2.5)  # the job's lease (2 s in this test) runs out: its worker is presumed dead
    start_worker()
    wait_for(lambda: status_of(study) != Study.Status.GENERATING, timeout=120)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    assert job.attempts == 2
    assert Phase.objects.filter(study=study).count() == 2
    assert Trial.objects.filter(phase__study=study, phase__kind="test").count() == 480
    stimulus_folder = Path(study.stimuli.first().file.path).parent
    stored_files = list(stimulus_folder.iterdir())
    assert len(stored_files) == Stimulus.objects.filter(study=study).count(), "no orphaned files"


@pytest.mark.once
def test_a_worker_trains_a_tiny_musicvae_and_generates_a_synvae_study(start_worker):
    from studies import training
    from studies.models import ModelRun

    start_worker()
    run = training.model_run_create(
        name="tiny melodies", kind="musicvae", params={"preset": "tiny", "max_works": 4}
    )
    wait_for(lambda: ModelRun.objects.get(pk=run.pk).status in ("succeeded", "failed"), timeout=300)
    run.refresh_from_db()
    assert run.status == ModelRun.Status.SUCCEEDED, run.message
    assert Path(run.checkpoint).exists() and run.progress == 1.0

    study = services.study_create(
        name="generated",
        kind="synvae_matching",
        design_params={"n_test_trials": 4, "n_preview_per_class": 1, "candidates_per_class": 2},
    )
    generation.study_generate(study=study)
    wait_for(lambda: status_of(study) != Study.Status.GENERATING, timeout=120)
    assert status_of(study) == Study.Status.READY, study.build_problems
    services.study_publish(study=study)
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study()
    assert Response.objects.filter(participant__token=bot.token).count() == 4


def test_a_gpu_worker_makes_the_melodies_and_a_cpu_worker_renders_the_study(start_worker):
    study = services.study_create(
        name="two workers",
        kind="synvae_matching",
        design_params={"n_test_trials": 3, "n_preview_per_class": 1, "candidates_per_class": 2},
    )
    job = generation.study_generate(study=study)
    start_worker("gpu")
    wait_for(lambda: GenerationJob.objects.get(pk=job.pk).prepared is not None, timeout=120)
    time.sleep(2)  # the build waits on the cpu queue, where no worker listens yet
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.QUEUED and status_of(study) == "generating"
    assert not Stimulus.objects.filter(study=study).exists()

    start_worker("cpu")
    wait_for(lambda: status_of(study) != Study.Status.GENERATING, timeout=120)
    assert status_of(study) == Study.Status.READY, study.build_problems
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED and job.attempts == 2
