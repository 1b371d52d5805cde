"""Generating a study's stimuli and trials: queue its job, run the model stage and the build.

Each stage is claimed once (`studies.jobs`); a stage whose worker died is redone by another.
"""

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from studies import jobs
from studies.designs import DesignError, StudyPlan, design_for, model_kinds, needs_model
from studies.errors import Conflict
from studies.models import GenerationJob, Study
from studies.services import study_plan_create, study_rows_remove
from studies.stimuli import StimulusStore
from workers import queueing

logger = logging.getLogger(__name__)


def study_generate(*, study: Study) -> GenerationJob:
    """Queue the build of a draft study's stimuli and trials; the worker starts after commit."""
    with transaction.atomic():
        claimed = Study.objects.filter(pk=study.pk, status=Study.Status.DRAFT).update(
            status=Study.Status.GENERATING, build_problems=[]
        )
        if not claimed:
            raise Conflict(f"The study is {study.status}; only a draft can be generated.")
        job = GenerationJob.objects.create(study=study)
        transaction.on_commit(lambda: generation_job_send(job))
    study.refresh_from_db()
    return job


def generation_job_send(job: GenerationJob) -> None:
    """The job's next task: the model stage (`gpu` queue) until it is done, then the build."""
    if needs_model(job.study.kind) and job.prepared is None:
        queueing.stimuli_prepare_send(job.pk)
    else:
        queueing.study_build_send(job.pk)


def generation_job_prepare(*, job_id: int) -> GenerationJob | None:
    """Claim a queued job whose study needs a model, run the model stage, queue the build.

    The result is stored on the job and the job queued again in one UPDATE, so a worker killed
    here leaves the job to be redone by another (the sweep), never half-prepared.
    """
    job = jobs.job_claim(GenerationJob, pk=job_id, condition=Q(prepared__isnull=True))
    if job is None:
        logger.info("generation job %s is prepared, running or finished; nothing to do", job_id)
        return None
    try:
        with jobs.Heartbeat(job) as heartbeat:
            prepared = design_for(job.study.kind).prepare(study=job.study)
            heartbeat.check()
    except jobs.JobLost:
        logger.warning("generation job %s was taken over; its melodies are dropped", job_id)
        return None
    except DesignError as error:
        return generation_job_fail(job=job, problems=error.problems)
    except Exception as error:  # noqa: BLE001 - any crash must reach the researcher, not vanish
        logger.exception("generation job %s crashed while preparing", job_id)
        return generation_job_fail(job=job, problems=[f"Unexpected error: {error!r}"])
    with transaction.atomic():
        if not jobs.job_hand_over(
            job, message="Melodies made; rendering.", prepared=prepared, progress=0.5
        ):
            logger.warning("generation job %s was taken over; its melodies are dropped", job_id)
            return None
        transaction.on_commit(lambda: generation_job_send(job))
    return job


def generation_job_run(*, job_id: int) -> GenerationJob | None:
    """Claim a queued job and build its study. Safe to call twice: only one caller builds.

    A job whose model stage has not run yet is not claimed here. A failed build leaves
    nothing behind; a killed one is cleaned up by the redo (study_build).
    """
    waiting_for_model = Q(prepared__isnull=True, study__kind__in=model_kinds())
    job = jobs.job_claim(GenerationJob, pk=job_id, condition=~waiting_for_model)
    if job is None:
        logger.info("generation job %s is running, finished or not prepared", job_id)
        return None
    try:
        with jobs.Heartbeat(job) as heartbeat:
            study_build(study=job.study, job=job, heartbeat=heartbeat)
    except jobs.JobLost:
        logger.warning("generation job %s was taken over; this attempt stopped", job_id)
        return None
    except DesignError as error:
        return generation_job_fail(job=job, problems=error.problems)
    except Exception as error:  # noqa: BLE001 - any crash must reach the researcher, not vanish
        logger.exception("generation job %s crashed", job_id)
        return generation_job_fail(job=job, problems=[f"Unexpected error: {error!r}"])
    return job


def generation_jobs_requeue_lost() -> list[int]:
    """Send again the jobs whose worker or message was lost (each worker's periodic sweep)."""
    lost = jobs.jobs_take_back(GenerationJob)
    for job in GenerationJob.objects.filter(pk__in=lost).select_related("study"):
        generation_job_send(job)
    return lost


def study_build(*, study: Study, job: GenerationJob, heartbeat: jobs.Heartbeat) -> None:
    """Build the study's stimuli and trials; the study turns ready and the job succeeds in one
    short commit at the end.

    The slow work (decoding, re-encoding, writing files) runs outside any transaction, and the
    rows are written in short steps, each only while this attempt still holds the job: the
    database is never held for long (on SQLite a write locks all of it, and participants'
    answers would wait), and an attempt that lost its job writes nothing more. The study stays
    `generating`, which no participant can open, until the last step. An attempt first removes
    whatever a killed one left; a failed one removes what it made.
    """
    study.refresh_from_db()
    if study.status != Study.Status.GENERATING:
        raise DesignError([f"The study is {study.status}, not generating."])
    still_held = holding_check(job)
    study_build_remove(study=study, step_check=still_held)
    store = StimulusStore(study=study, check=heartbeat.check)
    try:
        plan = design_build(study=study, job=job, store=store)
        study_plan_create(study=study, plan=plan, stimuli=store.stimuli, step_check=still_held)
        with transaction.atomic():
            still_held()
            Study.objects.filter(pk=study.pk).update(status=Study.Status.READY, build_problems=[])
            if not jobs.job_finish(job, status=GenerationJob.Status.SUCCEEDED, message="Built."):
                raise jobs.JobLost(f"generation job {job.pk} was taken over")
    except jobs.JobLost:
        raise  # what it wrote is the redo's to remove: it may be writing the same files now
    except Exception:
        study_build_remove(study=study, step_check=still_held)
        raise


def holding_check(job: GenerationJob):
    """A build step's first statement: raise JobLost unless this attempt still holds the job.

    The job's row is locked for the step (PostgreSQL), so a take-over waits for the step to
    end, and the redo's clean-up comes after it; SQLite runs one write at a time anyway.
    """

    def still_held() -> None:
        if not jobs.job_held(job).select_for_update().values_list("pk", flat=True):
            raise jobs.JobLost(f"generation job {job.pk} was taken over")

    return still_held


def design_build(*, study: Study, job: GenerationJob, store: StimulusStore) -> StudyPlan:
    """The design stores the stimuli (files) and plans the trials."""
    design = design_for(study.kind)
    if needs_model(study.kind):
        return design.build(study=study, prepared=job.prepared, store=store)
    return design.build(study=study, store=store)


def study_build_remove(*, study: Study, step_check) -> None:
    """Every row and stimulus file of a build attempt: a killed one's leftovers, or the
    attempt's own when it fails."""
    study_rows_remove(study=study, step_check=step_check)
    folder = Path(settings.MEDIA_ROOT) / "studies" / str(study.uuid) / "stimuli"
    shutil.rmtree(folder, ignore_errors=True)


def generation_job_fail(*, job: GenerationJob, problems: list[str]) -> GenerationJob:
    """The job fails and its study goes back to draft, unless another worker took the job over."""
    with transaction.atomic():
        failed = jobs.job_finish(
            job,
            status=GenerationJob.Status.FAILED,
            message=f"{len(problems)} problem(s); the study is back to draft.",
            problems=problems,
        )
        if failed:
            Study.objects.filter(pk=job.study_id, status=Study.Status.GENERATING).update(
                status=Study.Status.DRAFT, build_problems=problems
            )
    return job
