"""Nothing half-built: a failed build leaves no row and no file; a killed one leaves its study
unopenable until the redo, which first removes what the killed attempt wrote.

The build writes its rows in short steps (services.ROWS_PER_STEP, made small here so that a
small set needs many steps), so a build can stop between two of them.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from studies import generation, jobs, services
from studies.errors import Conflict
from studies.models import GenerationJob, Participant, Phase, Stimulus, Study, Trial, TrialOption
from tests.factories import png_broken_after_header, upload_zip
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL: no clean-up code of the build runs."""


@pytest.fixture(autouse=True)
def small_steps(monkeypatch):
    monkeypatch.setattr(services, "ROWS_PER_STEP", 8)


def stimulus_files(study: Study) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "studies" / str(study.uuid) / "stimuli"
    return sorted(folder.iterdir()) if folder.exists() else []


def rows_of(study: Study) -> dict[str, int]:
    return {
        "stimuli": Stimulus.objects.filter(study=study).count(),
        "phases": Phase.objects.filter(study=study).count(),
        "trials": Trial.objects.filter(phase__study=study).count(),
        "options": TrialOption.objects.filter(trial__phase__study=study).count(),
    }


def stop_at_trial_step(monkeypatch, step: int, error: BaseException) -> None:
    """The build stops when it reaches its `step`-th batch of trials."""
    real, calls = services.trials_create, []

    def trials_create(*args, **kwargs):
        calls.append(1)
        if len(calls) == step:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "trials_create", trials_create)


def draft(data: bytes | None = None) -> Study:
    return services.study_create(
        name="set",
        kind="uploaded_set",
        design_params={"n_options": 3, "n_preview_per_class": 1},
        upload=as_upload(data or upload_zip()),
    )


def test_a_killed_build_is_never_opened_and_its_redo_leaves_exactly_one_study(monkeypatch):
    study = draft()
    job = generation.study_generate(study=study)
    stop_at_trial_step(monkeypatch, 3, WorkerKilled())
    with pytest.raises(WorkerKilled):
        generation.generation_job_run(job_id=job.pk)

    left = rows_of(study)
    assert left["stimuli"] == 24 and 0 < left["trials"] < 12, "it stopped between two steps"
    assert len(stimulus_files(study)) == 24
    study.refresh_from_db()
    assert study.status == Study.Status.GENERATING
    with pytest.raises(Conflict):
        services.study_publish(study=study)
    Client().post(f"/s/{study.slug}/", {"consent": "on"})
    assert not Participant.objects.filter(study=study).exists(), "nobody can enter it"

    monkeypatch.undo()
    monkeypatch.setattr(services, "ROWS_PER_STEP", 8)
    long_ago = timezone.now() - timedelta(seconds=settings.SYNLAB_JOB_LEASE_S + 1)
    GenerationJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)  # its worker is dead
    assert jobs.jobs_take_back(GenerationJob) == [job.pk]
    redone = generation.generation_job_run(job_id=job.pk)

    assert redone.status == GenerationJob.Status.SUCCEEDED and redone.attempts == 2
    assert rows_of(study) == {"stimuli": 24, "phases": 2, "trials": 12, "options": 30}
    stored = {Path(s.file.path) for s in Stimulus.objects.filter(study=study)}
    assert set(stimulus_files(study)) == stored, "no file of the killed attempt is left"


@pytest.mark.parametrize(
    ("breaks", "problem"),
    [
        ("a late file", "images/blue_test_2.png: not a readable image"),
        ("a trial step", "Unexpected error: RuntimeError('disk full')"),
    ],
)
def test_a_failed_build_leaves_no_row_and_no_file(monkeypatch, breaks, problem):
    if breaks == "a late file":
        broken = {"images/blue_test_2.png": png_broken_after_header()}
        study = draft(upload_zip(replace_files=broken))
    else:
        study = draft()
        stop_at_trial_step(monkeypatch, 2, RuntimeError("disk full"))
    job = generation.generation_job_run(job_id=generation.study_generate(study=study).pk)

    assert job.status == GenerationJob.Status.FAILED
    assert any(problem in p for p in job.problems), job.problems
    study.refresh_from_db()
    assert study.status == Study.Status.DRAFT and study.build_problems == job.problems
    assert rows_of(study) == {"stimuli": 0, "phases": 0, "trials": 0, "options": 0}
    assert stimulus_files(study) == []
